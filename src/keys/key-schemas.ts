import { z } from "zod";
import { KEY_STATUSES, KeySchema } from "./key-view.js";
import { ALL_PERMISSIONS, isPermission, type Permission } from "./permissions.js";

// Request and response schemas of the keys API. The routes validate with these and register the very
// same objects in the OpenAPI document. Bodies and queries are strict: an unknown field is a 400
// naming it, so neither mass assignment nor a mistyped query parameter passes silently.

export const KEY_ID_PATTERN = /^key_[0-9a-z]{26}$/;
export const MAX_ACTIVE_KEYS = 100;
export const MAX_GRACE_PERIOD_SECONDS = 604_800;
export const DEFAULT_GRACE_PERIOD_SECONDS = 86_400;

// Control characters (NUL above all, which PostgreSQL cannot store) never belong in a one-line name.
const hasControlCharacter = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c === "\u007f");

const keyName = z
  .string()
  .trim()
  .min(1, "must be 1 to 100 characters")
  .max(100, "must be 1 to 100 characters")
  .refine((name) => !hasControlCharacter(name), "must not contain control characters");

// Checked as a whole list so that the error names `permissions`, not `permissions.2`.
const permissionList = z
  .array(z.string())
  .superRefine((list, ctx) => {
    if (list.length === 0) ctx.addIssue({ code: "custom", message: "must list at least one permission" });
    const unknown = list.find((p) => !isPermission(p));
    if (unknown !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `unknown permission ${JSON.stringify(unknown)}; known: ${ALL_PERMISSIONS.join(", ")}`,
      });
    }
  })
  .transform((list) => [...new Set(list)] as Permission[])
  .meta({
    type: "array",
    items: { type: "string", enum: ALL_PERMISSIONS },
    description: "Defaults to every permission. Duplicates are ignored.",
  });

// A model id as vLLM serves it (`meta-llama/Llama-3.1-8B`); the list is checked as a whole so that the
// error names `models`. Ids are not checked against the upstreams: a key may be made for a model that
// is deployed later.
export const MAX_KEY_MODELS = 100;
const modelList = z
  .array(z.string())
  .superRefine((list, ctx) => {
    if (list.length === 0) {
      ctx.addIssue({ code: "custom", message: "must list at least one model, or be null for every model" });
    }
    if (list.length > MAX_KEY_MODELS) {
      ctx.addIssue({ code: "custom", message: `may list at most ${MAX_KEY_MODELS} models` });
    }
    const bad = list.find(
      (m) => m.length === 0 || m.length > 256 || hasControlCharacter(m) || m.trim() !== m,
    );
    if (bad !== undefined) {
      ctx.addIssue({ code: "custom", message: `invalid model id ${JSON.stringify(bad)}` });
    }
  })
  .transform((list) => [...new Set(list)])
  .nullable()
  .meta({
    type: ["array", "null"],
    items: { type: "string" },
    description: "The model ids the key may use; null (the default) for every model. Duplicates are ignored.",
  });

export const CreateKeyBody = z
  .strictObject({
    name: keyName,
    permissions: permissionList.optional(),
    expires_at: z.iso
      .datetime({ offset: true, message: "must be an ISO 8601 date-time with a time zone" })
      .nullable()
      .optional()
      .meta({ description: "When the key stops working; must be in the future. Omit for no expiry." }),
    rate_limit_per_minute: z
      .number()
      .int()
      .positive()
      .nullable()
      .optional()
      .meta({ description: "Lowers the account tier's limit for this key; may not exceed it." }),
    token_limit_per_minute: z.number().int().positive().nullable().optional().meta({
      description: "Lowers the account tier's tokens-per-minute limit for this key; may not exceed it.",
    }),
    models: modelList.optional(),
  })
  .meta({ id: "CreateKeyRequest" });

export const UpdateKeyBody = z
  .strictObject({
    name: keyName.optional(),
    models: modelList.optional(),
    token_limit_per_minute: z.number().int().positive().nullable().optional().meta({
      description:
        "Lowers the account tier's tokens-per-minute limit for this key; may not exceed it. null: the tier's.",
    }),
  })
  .refine(
    (body) =>
      body.name !== undefined || body.models !== undefined || body.token_limit_per_minute !== undefined,
    { message: "give name, models or token_limit_per_minute (or several)", path: ["name"] },
  )
  .meta({ id: "UpdateKeyRequest" });

export const RotateKeyBody = z
  .strictObject({
    grace_period_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_PERIOD_SECONDS)
      .default(DEFAULT_GRACE_PERIOD_SECONDS)
      .meta({ description: "How long the previous key keeps working (0: stops at once)." }),
  })
  .meta({ id: "RotateKeyRequest" });

const limit = z.coerce.number().int().min(1).max(100).default(20);
const cursor = z.string().optional().meta({ description: "The next_cursor of the previous page." });

export const ListKeysQuery = z.strictObject({
  status: z.enum([...KEY_STATUSES, "all"]).default("active"),
  limit,
  cursor,
});

export const PageQuery = z.strictObject({ limit, cursor });

export const UsageQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(90).default(30) });

export const KeyIdParams = z.object({ id: z.string().meta({ example: "key_01jd0000000000000000000000" }) });

export const KeyResponse = z.object({ key: KeySchema });
export const KeyWithSecretResponse = z.object({
  key: KeySchema,
  secret: z.string().meta({ description: "The full key. Shown only in this response." }),
});
export const RotateKeyResponse = KeyWithSecretResponse.extend({ previous: KeySchema });
export const KeyListResponse = z.object({ data: z.array(KeySchema), next_cursor: z.string().nullable() });
export const PermissionsResponse = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      description: z.string(),
      routes: z
        .array(z.string())
        .meta({ description: "The /v1 routes this permission opens, e.g. `POST /v1/chat/completions`." }),
    }),
  ),
});
