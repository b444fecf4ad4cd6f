import { useRef, useState } from "preact/hooks";
import { api, fieldError, type Key } from "../api/client";
import { newIdempotencyKey } from "../api/idempotency-key";
import { useSubmit } from "../api/use-submit";
import { Dialog } from "../components/dialog";
import { ErrorNotice } from "../components/notice";
import { KeyShownOnce } from "./key-shown-once";

const GRACE: { seconds: number; label: string }[] = [
  { seconds: 0, label: "None: the old key stops now" },
  { seconds: 3_600, label: "1 hour" },
  { seconds: 86_400, label: "24 hours" },
  { seconds: 604_800, label: "7 days" },
];

/** Rotate: a new key with the same name and permissions; the old one works for the grace period. */
export function RotateKeyDialog(props: {
  apiKey: Key;
  onRotated: (result: { key: Key; previous: Key }) => void;
  onClose: (newKey: Key | null) => void;
}) {
  const [grace, setGraceState] = useState(86_400);
  const [rotated, setRotated] = useState<{ key: Key; secret: string } | null>(null);
  const { busy, error, submit } = useSubmit();
  // The rotation under way or failed: Retry sends it again with the same Idempotency-Key, so a call
  // whose answer was lost shows the new key it made (not "already rotated"). Another grace period
  // is another request, with a new key.
  const idempotencyKey = useRef<string | null>(null);
  const setGrace = (seconds: number) => {
    idempotencyKey.current = null;
    setGraceState(seconds);
  };

  async function rotate(event: Event) {
    event.preventDefault();
    idempotencyKey.current ??= newIdempotencyKey();
    const key = idempotencyKey.current;
    const result = await submit(() =>
      api.POST("/admin/keys/{id}/rotate", {
        params: { path: { id: props.apiKey.id }, header: { "Idempotency-Key": key } },
        body: { grace_period_seconds: grace },
      }),
    );
    if (!result?.ok) return;
    setRotated(result.data);
    props.onRotated(result.data);
  }

  if (rotated) {
    return (
      <KeyShownOnce
        title="Your new API key"
        name={rotated.key.name}
        secret={rotated.secret}
        models={rotated.key.models}
        onClose={() => props.onClose(rotated.key)}
      />
    );
  }
  return (
    <Dialog title={`Rotate "${props.apiKey.name}"`} onRequestClose={() => props.onClose(null)}>
      <p>
        A new key with the same name and permissions replaces this one. Update your application to use the new
        key before the grace period ends.
      </p>
      <form onSubmit={rotate}>
        <fieldset>
          <legend>Grace period</legend>
          {GRACE.map((option) => (
            <label class="choice" key={option.seconds}>
              <input
                type="radio"
                name="grace"
                value={option.seconds}
                checked={grace === option.seconds}
                onChange={() => setGrace(option.seconds)}
              />
              {option.label}
            </label>
          ))}
          {fieldError(error, "grace_period_seconds") ? (
            <p class="field-error">{fieldError(error, "grace_period_seconds")}</p>
          ) : null}
        </fieldset>
        {error && error.param !== "grace_period_seconds" ? (
          <ErrorNotice
            error={error}
            onRetry={
              error.status === 0 || error.status >= 500 ? () => void rotate(new Event("submit")) : undefined
            }
          />
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Rotate
          </button>
          <button type="button" class="secondary" onClick={() => props.onClose(null)}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
