import { AppError } from "../errors/app-error.js";

/**
 * Cursors are the last id of the previous page. One that is not an id of the listed kind cannot come
 * from this API, so it is refused instead of silently returning the first page.
 */
export function checkCursor(cursor: string | undefined, idPattern: RegExp): void {
  if (cursor !== undefined && !idPattern.test(cursor)) {
    throw new AppError("invalid_cursor", "cursor: not a cursor returned by this list", { param: "cursor" });
  }
}
