import { useState } from "preact/hooks";
import { api, fieldError, type Key } from "../api/client";
import { useSubmit } from "../api/use-submit";
import { ModelsChoice, useServedModels } from "../components/models-choice";
import { ErrorNotice } from "../components/notice";

/** A key's page, its Models section: every model, or only the ones checked (PATCH models). */
export function KeyModels(props: { apiKey: Key; onChanged: (key: Key) => void }) {
  const [models, setModels] = useState<string[] | null>(props.apiKey.models);
  const served = useServedModels();
  const [saved, setSaved] = useState(false);
  const { busy, error, submit } = useSubmit();

  async function save(event: Event) {
    event.preventDefault();
    setSaved(false);
    const result = await submit(() =>
      api.PATCH("/admin/keys/{id}", { params: { path: { id: props.apiKey.id } }, body: { models } }),
    );
    if (!result?.ok) return;
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
