import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { newId } from "../db/ids.js";
import { recoveryCodes } from "../db/schema.js";
import { generateRecoveryCode, hashSecret } from "../secrets/secrets.js";

export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_CODE_SHAPE = /^[a-z0-9]{4}(-?[a-z0-9]{4}){3}$/;

/** Hyphens and case do not matter when a person types a code back. */
export function normaliseRecoveryCode(code: string): string | null {
  const trimmed = code.trim().toLowerCase();
  return RECOVERY_CODE_SHAPE.test(trimmed) ? trimmed.replace(/-/g, "") : null;
}

export function isRecoveryCodeShape(code: string): boolean {
  return normaliseRecoveryCode(code) !== null;
}

/** Replaces the account's recovery codes with ten new ones; returns them, the only time they exist. */
export async function replaceRecoveryCodes(
  tx: Pick<Db, "insert" | "delete">,
  accountId: string,
  now: Date,
): Promise<string[]> {
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.accountId, accountId));
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
  await tx.insert(recoveryCodes).values(
    codes.map((code) => ({
      id: newId("rec", now.getTime()),
      accountId,
      codeHash: hashSecret(code.replace(/-/g, "")),
      createdAt: now,
    })),
  );
  return codes;
}

/** Uses a recovery code once: the conditional update lets only one of two concurrent uses through. */
export async function useRecoveryCode(
  db: Pick<Db, "update">,
  accountId: string,
  code: string,
  now: Date,
): Promise<boolean> {
  const normalised = normaliseRecoveryCode(code);
  if (!normalised) return false;
  const used = await db
    .update(recoveryCodes)
    .set({ usedAt: now })
    .where(
      and(
        eq(recoveryCodes.accountId, accountId),
        eq(recoveryCodes.codeHash, hashSecret(normalised)),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .returning({ id: recoveryCodes.id });
  return used.length === 1;
}
