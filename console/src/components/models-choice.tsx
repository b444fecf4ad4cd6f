import { useEffect, useId, useState } from "preact/hooks";
import { type ApiError, api, call } from "../api/client";
import { ErrorNotice, Loading } from "./notice";

// A key's models: every model (null), or only the ones checked, chosen from the models the gateway
// serves (GET /admin/models). A model the key already has that is no longer served stays listed, so
// that it can be seen and unchecked.

/** The models the gateway serves, loaded once where the choice is shown. */
export function useServedModels() {
  const [served, setServed] = useState<string[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  async function load() {
    setError(null);
    const result = await call(api.GET("/admin/models"));
    if (result.ok) setServed(result.data.data.map((m) => m.id));
    else setError(result.error);
  }
  useEffect(() => {
    void load();
  }, []);
  return { served, error, reload: () => void load() };
}

export function ModelsChoice(props: {
  /** null: every model. */
  value: string[] | null;
  onChange: (models: string[] | null) => void;
  served: string[] | null;
  servedError: ApiError | null;
  onRetry: () => void;
  /** The API's error for `models`, if any. */
  error: string | undefined;
}) {
  const id = useId();
  const { value, served } = props;
  const listed = [...(served ?? []), ...(value ?? []).filter((m) => !served?.includes(m))];
  const described = [`${id}-hint`, props.error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <fieldset aria-describedby={described}>
      <legend>Models</legend>
      <p id={`${id}-hint`} class="hint">
        Limit the key to the models your application needs. A request for any other model gets{" "}
        <code>404 model_not_found</code>.
      </p>
      <label class="choice">
        <input
          type="radio"
          name={`${id}-scope`}
          checked={value === null}
          onChange={() => props.onChange(null)}
        />
        All models
      </label>
      <label class="choice">
        <input
          type="radio"
          name={`${id}-scope`}
          checked={value !== null}
          aria-invalid={props.error ? "true" : undefined}
          onChange={() => props.onChange(value ?? [])}
        />
        Only these models
      </label>
      {value === null ? null : served === null ? (
        props.servedError ? (
          <ErrorNotice error={props.servedError} onRetry={props.onRetry} />
        ) : (
          <Loading what="models" />
        )
      ) : (
        <fieldset class="nested">
          <legend class="visually-hidden">Models this key may use</legend>
          {listed.length === 0 ? <p class="hint">No model is served right now.</p> : null}
          {listed.map((model) => (
            <label class="choice" key={model}>
              <input
                type="checkbox"
                value={model}
                checked={value.includes(model)}
                onChange={(e) =>
                  props.onChange(
                    e.currentTarget.checked ? [...value, model] : value.filter((m) => m !== model),
                  )
                }
              />
              <code>{model}</code>
            </label>
          ))}
        </fieldset>
      )}
      {props.error ? (
        <p id={`${id}-error`} class="field-error">
          {props.error}
        </p>
      ) : null}
    </fieldset>
  );
}

/** How a key's models read in its details. */
export function modelsText(models: string[] | null | undefined): string {
  return models ? models.join(", ") : "All models";
}
