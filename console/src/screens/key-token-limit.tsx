import { useState } from "preact/hooks";
import { type ApiError, api, call, fieldError, type Key } from "../api/client";
import { Field } from "../components/field";
import { ErrorNotice } from "../components/notice";

/** A key's own tokens-per-minute limit, lowered or (left empty) back to the tier's. */
export function TokenLimitSection(props: { apiKey: Key; onSaved: (key: Key) => void }) {
  const [limit, setLimit] = useState(String(props.apiKey.token_limit_per_minute));
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  async function save(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setSaved(false);
    const tokenLimit = limit.trim() ? Number(limit) : null;
    const result = await call(
      api.PATCH("/admin/keys/{id}", {
        params: { path: { id: props.apiKey.id } },
        body: { token_limit_per_minute: tokenLimit },
      }),
    );
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setSaved(true);
    setLimit(String(result.data.key.token_limit_per_minute));
    props.onSaved(result.data.key);
  }

  if (props.apiKey.status === "revoked") return null;
  return (
    <section class="card" aria-labelledby="token-limit-title">
      <h2 id="token-limit-title">Token limit</h2>
      <form onSubmit={save} noValidate>
        <Field
          label="Tokens per minute"
          name="token_limit_per_minute"
          type="number"
          min={1}
          inputMode="numeric"
          value={limit}
          error={fieldError(error, "token_limit_per_minute")}
          hint="Prompt and completion tokens. Leave empty for your tier's limit; it may only be lowered."
          onInput={(e) => setLimit(e.currentTarget.value)}
        />
        {error && error.param !== "token_limit_per_minute" ? <ErrorNotice error={error} /> : null}
        {saved ? (
          <p role="status" class="hint">
            Saved.
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Save token limit
          </button>
        </div>
      </form>
    </section>
  );
}
