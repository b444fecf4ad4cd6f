import { useEffect, useRef, useState } from "preact/hooks";
import { type ApiError, api, call, fieldError, type Key } from "../api/client";
import { newIdempotencyKey } from "../api/idempotency-key";
import type { components } from "../api/schema";
import { useSubmit } from "../api/use-submit";
import { Dialog } from "../components/dialog";
import { Field } from "../components/field";
import { ModelsChoice, useServedModels } from "../components/models-choice";
import { ErrorNotice, Loading } from "../components/notice";
import { count } from "../count";
import { clearDraft, loadDraft, saveDraft, useMe } from "../session";
import { KeyShownOnce } from "./key-shown-once";

type CreateKeyRequest = components["schemas"]["CreateKeyRequest"];
type Permission = CreateKeyRequest["permissions"] extends (infer P)[] | undefined ? P : never;
type Expiry = "never" | "30" | "90" | "365" | "date";

interface Draft {
  name: string;
  permissions: string[] | null;
  /** null: every model. */
  models?: string[] | null;
  expiry: Expiry;
  date: string;
  limit: string;
}

const EXPIRY: { value: Expiry; label: string }[] = [
  { value: "never", label: "Never" },
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "1 year" },
  { value: "date", label: "On a date" },
];

const EMPTY: Draft = { name: "", permissions: null, models: null, expiry: "never", date: "", limit: "" };

function expiresAt(draft: Draft, now = Date.now()): string | null {
  if (draft.expiry === "never") return null;
  if (draft.expiry === "date") return draft.date ? new Date(`${draft.date}T23:59:59`).toISOString() : "";
  return new Date(now + Number(draft.expiry) * 86_400_000).toISOString();
}

/**
 * Create New Key: a name, permissions (all checked by default), its models (all by default), an expiry, an optional limit up to
 * the tier's; Generate Key then shows the key once. What was typed is kept as a draft for this tab,
 * so a detour through Log in loses nothing.
 */
export function CreateKeyDialog(props: { onCreated: (key: Key) => void; onClose: () => void }) {
  const { me } = useMe();
  const tierLimit = me.limits.requests_per_minute;
  const [draft, setDraftState] = useState<Draft>(() => loadDraft<Draft>("create-key") ?? EMPTY);
  const [catalog, setCatalog] = useState<{ id: string; description: string }[] | null>(null);
  const [catalogError, setCatalogError] = useState<ApiError | null>(null);
  const served = useServedModels();
  const [created, setCreated] = useState<{ key: Key; secret: string } | null>(null);
  // A second click (or Enter) while the first call is under way makes no second key (useSubmit).
  const { busy, error, submit: send } = useSubmit();
  // The submission under way or failed: Retry (or Generate Key again) sends this very request, with
  // its Idempotency-Key and body (an expiry "in 30 days" included, not recomputed), so a call whose
  // answer was lost answers the key it made. Changing the form starts a new one.
  const attempt = useRef<{ idempotencyKey: string; body: CreateKeyRequest } | null>(null);
  // "On a date" with no day picked: said here, as the API could only name the date-time format.
  const [dateMissing, setDateMissing] = useState(false);

  const setDraft = (change: Partial<Draft>) => {
    attempt.current = null;
    setDraftState((d) => {
      const next = { ...d, ...change };
      saveDraft("create-key", next);
      return next;
    });
  };

  async function loadCatalog() {
    setCatalogError(null);
    const result = await call(api.GET("/admin/permissions"));
    if (result.ok) setCatalog(result.data.data);
    else setCatalogError(result.error);
  }
  useEffect(() => {
    void loadCatalog();
  }, []);

  const chosen = draft.permissions ?? catalog?.map((p) => p.id) ?? [];

  function requestOfDraft(): CreateKeyRequest {
    const expires = expiresAt(draft);
    return {
      name: draft.name,
      permissions: chosen as Permission[],
      ...(draft.models ? { models: draft.models } : {}),
      ...(expires !== null ? { expires_at: expires } : {}),
      ...(draft.limit.trim() ? { rate_limit_per_minute: Number(draft.limit) } : {}),
    };
  }

  async function submit(event: Event) {
    event.preventDefault();
    setDateMissing(draft.expiry === "date" && !draft.date);
    if (draft.expiry === "date" && !draft.date) return;
    attempt.current ??= { idempotencyKey: newIdempotencyKey(), body: requestOfDraft() };
    const { idempotencyKey, body } = attempt.current;
    const result = await send(() =>
      api.POST("/admin/keys", { params: { header: { "Idempotency-Key": idempotencyKey } }, body }),
    );
    if (!result?.ok) return;
    attempt.current = null;
    clearDraft("create-key");
    setCreated(result.data);
    props.onCreated(result.data.key);
  }

  const cancel = () => {
    clearDraft("create-key");
    props.onClose();
  };

  if (created) {
    return (
      <KeyShownOnce
        title="Your new API key"
        name={created.key.name}
        secret={created.secret}
        models={created.key.models}
        onClose={props.onClose}
      />
    );
  }

  const formError =
    error &&
    !["name", "permissions", "models", "expires_at", "rate_limit_per_minute"].includes(error.param ?? "")
      ? error
      : null;
  return (
    <Dialog title="Create New Key" onRequestClose={cancel}>
      <form onSubmit={submit} noValidate>
        <Field
          label="Name"
          name="name"
          type="text"
          required
          maxLength={100}
          autocomplete="off"
          value={draft.name}
          error={fieldError(error, "name")}
          hint='A descriptive name, e.g. "Development", "Production App".'
          onInput={(e) => setDraft({ name: e.currentTarget.value })}
        />
        <fieldset aria-describedby={fieldError(error, "permissions") ? "permissions-error" : undefined}>
          <legend>Permissions</legend>
          {catalog ? (
            catalog.map((p) => (
              <label class="choice" key={p.id}>
                <input
                  type="checkbox"
                  name="permissions"
                  value={p.id}
                  checked={chosen.includes(p.id)}
                  onChange={(e) =>
                    setDraft({
                      permissions: e.currentTarget.checked
                        ? [...chosen, p.id]
                        : chosen.filter((c) => c !== p.id),
                    })
                  }
                />
                <span>
                  <code>{p.id}</code> <small>{p.description}</small>
                </span>
              </label>
            ))
          ) : catalogError ? (
            <ErrorNotice error={catalogError} onRetry={() => void loadCatalog()} />
          ) : (
            <Loading what="permissions" />
          )}
          {fieldError(error, "permissions") ? (
            <p id="permissions-error" class="field-error">
              {fieldError(error, "permissions")}
            </p>
          ) : null}
        </fieldset>
        <ModelsChoice
          value={draft.models ?? null}
          onChange={(models) => setDraft({ models })}
          served={served.served}
          servedError={served.error}
          onRetry={served.reload}
          error={fieldError(error, "models")}
        />
        <fieldset>
          <legend>Expires</legend>
          {EXPIRY.map((option) => (
            <label class="choice" key={option.value}>
              <input
                type="radio"
                name="expiry"
                value={option.value}
                checked={draft.expiry === option.value}
                onChange={() => setDraft({ expiry: option.value })}
              />
              {option.label}
            </label>
          ))}
          {draft.expiry === "date" ? (
            <Field
              label="Expiry date"
              name="expiry-date"
              type="date"
              required
              value={draft.date}
              error={
                dateMissing && !draft.date
                  ? "Choose the day the key stops working"
                  : fieldError(error, "expires_at")
              }
              onInput={(e) => setDraft({ date: e.currentTarget.value })}
            />
          ) : fieldError(error, "expires_at") ? (
            <p class="field-error">{fieldError(error, "expires_at")}</p>
          ) : null}
        </fieldset>
        <Field
          label="Rate limit (requests per minute, optional)"
          name="rate_limit_per_minute"
          type="number"
          min={1}
          max={tierLimit}
          inputMode="numeric"
          value={draft.limit}
          error={fieldError(error, "rate_limit_per_minute")}
          hint={`Leave empty for your tier's limit of ${count(tierLimit, "request")} per minute; it may only be lowered.`}
          onInput={(e) => setDraft({ limit: e.currentTarget.value })}
        />
        {formError ? (
          <ErrorNotice
            error={formError}
            onRetry={
              formError.status === 0 || formError.status >= 500
                ? () => void submit(new Event("submit"))
                : undefined
            }
          />
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy || !catalog}>
            Generate Key
          </button>
          <button type="button" class="secondary" onClick={cancel}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
