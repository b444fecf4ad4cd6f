import { useState } from "preact/hooks";
import { api, fieldError, type Key } from "../api/client";
import { useSubmit } from "../api/use-submit";
import { Field } from "../components/field";
import { ErrorNotice } from "../components/notice";

/**
 * A key's own tokens-per-minute limit, lowered or (saved empty) back to the tier's. The field starts
 * empty: the key shows only its limit in force, which may be the tier's, and saving that number back
 * would pin it to the key. Save waits for a change.
 */
export function TokenLimitSection(props: { apiKey: Key; onSaved: (key: Key) => void }) {
  const [limit, setLimit] = useState("");
  const [changed, setChanged] = useState(false);
  const [saved, setSaved] = useState(false);
  const { busy, error, submit } = useSubmit();

  async function save(event: Event) {
    event.preventDefault();
    setSaved(false);
    const tokenLimit = limit.trim() ? Number(limit) : null;
    const result = await submit(() =>
      api.PATCH("/admin/keys/{id}", {
        params: { path: { id: props.apiKey.id } },
        body: { token_limit_per_minute: tokenLimit },
      }),
    );
    if (!result?.ok) return;
    setSaved(true);
    setChanged(false);
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
          hint={`Now ${props.apiKey.token_limit_per_minute} (prompt and completion tokens). Leave empty for your tier's limit; it may only be lowered.`}
          onInput={(e) => {
            setLimit(e.currentTarget.value);
            setChanged(true);
            setSaved(false);
          }}
        />
        {error && error.param !== "token_limit_per_minute" ? <ErrorNotice error={error} /> : null}
        {saved ? (
          <p role="status" class="hint">
            Saved.
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy || !changed}>
            Save token limit
          </button>
        </div>
      </form>
    </section>
  );
}
