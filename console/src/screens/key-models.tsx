import { useState } from "preact/hooks";
import { type ApiError, api, call, fieldError, type Key } from "../api/client";
import { ModelsChoice, useServedModels } from "../components/models-choice";
import { ErrorNotice } from "../components/notice";

/** A key's page, its Models section: every model, or only the ones checked (PATCH models). */
export function KeyModels(props: { apiKey: Key; onChanged: (key: Key) => void }) {
  const [models, setModels] = useState<string[] | null>(props.apiKey.models);
  const served = useServedModels();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  async function save(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setSaved(false);
    const result = await call(
      api.PATCH("/admin/keys/{id}", { params: { path: { id: props.apiKey.id } }, body: { models } }),
    );
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setSaved(true);
    props.onChanged(result.data.key);
  }

  if (props.apiKey.status === "revoked") return null;
  return (
    <section class="card" aria-labelledby="models-title">
      <h2 id="models-title">Models</h2>
      <form onSubmit={save} noValidate>
        <ModelsChoice
          value={models}
          onChange={(next) => {
            setModels(next);
            setSaved(false);
          }}
          served={served.served}
          servedError={served.error}
          onRetry={served.reload}
          error={fieldError(error, "models")}
        />
        {error && error.param !== "models" ? <ErrorNotice error={error} /> : null}
        {saved ? (
          <p role="status" class="hint">
            Saved. The key's next request uses them.
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Save Models
          </button>
        </div>
      </form>
    </section>
  );
}
