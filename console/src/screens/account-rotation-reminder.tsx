import { useState } from "preact/hooks";
import { type ApiError, api, call, fieldError } from "../api/client";
import { Field } from "../components/field";
import { ErrorNotice } from "../components/notice";
import { useMe } from "../session";

/** How old a key gets before the rotation reminder email names it (0: no reminders). */
export function RotationReminderSection() {
  const { me, refresh } = useMe();
  const [days, setDays] = useState(String(me.account.rotation_reminder_days));
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setSaved(false);
    const value = days.trim() === "" ? Number.NaN : Number(days);
    const result = await call(api.PATCH("/admin/me", { body: { rotation_reminder_days: value } }));
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setSaved(true);
    refresh({ ...me, account: result.data.account });
  }

  const fieldMessage = fieldError(error, "rotation_reminder_days");
  return (
    <section class="card" aria-labelledby="reminder-title">
      <h2 id="reminder-title">Rotation reminders</h2>
      <form onSubmit={submit} noValidate>
        <Field
          label="Remind me to rotate keys older than (days)"
          type="number"
          name="rotation_reminder_days"
          min={0}
          max={365}
          inputMode="numeric"
          value={days}
          error={fieldMessage}
          hint="0 turns reminders off. Up to 365."
          onInput={(e) => setDays(e.currentTarget.value)}
        />
        {error && !fieldMessage ? <ErrorNotice error={error} /> : null}
        {saved ? (
          <p role="status" class="hint">
            Saved.
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Save
          </button>
        </div>
      </form>
    </section>
  );
}
