/**
 * One page from rows read newest first with `limit + 1` as their limit: the extra row tells whether
 * another page exists without a count query. The cursor is the page's last id (ids are time-ordered).
 */
export function pageOf<T extends { id: string }>(
  rows: T[],
  limit: number,
): { rows: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null };
}
