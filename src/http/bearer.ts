/** The token of `Authorization: Bearer <token>`, or null for no header, another scheme or a bad shape. */
export function bearerToken(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? null;
}

/** True when the header names the Bearer scheme with something after it, well formed or not. */
export function isBearerScheme(authorization: string | undefined): boolean {
  return /^bearer\s/i.test(authorization ?? "");
}
