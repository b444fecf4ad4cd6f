import { type SQL, sql } from "drizzle-orm";
import { accounts } from "../db/schema.js";

/**
 * The one form under which an email is both limited and looked up: trimmed, lower-cased by
 * JavaScript. The abuse limits key on it and every account look-up compares against it, so any two
 * spellings that reach one account are one spelling to the limits, by construction. (PostgreSQL's
 * lower() of the input was used before: it maps some characters otherwise than JavaScript, "İ" to "i"
 * where JavaScript gives "i" and a combining dot, and each such spelling got limits of its own.)
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The account whose email is `email`, case-insensitively: lower() of the stored address (the unique
 * index's expression, so the index serves the look-up) equal to the normalised input, never lower() of
 * the input. Stored addresses are ASCII (the signup, email-change and CLI schemas accept no other), on
 * which lower() and toLowerCase() agree, so an owner's own spelling still finds the account and counts
 * under the key the re-authentications use (the stored address, normalised).
 */
export function emailIs(email: string): SQL {
  return sql`lower(${accounts.email}) = ${normalizeEmail(email)}`;
}
