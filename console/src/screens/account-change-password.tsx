import { useState } from "preact/hooks";
import { type ApiError, api, call, fieldError } from "../api/client";
import { Field } from "../components/field";
import { ErrorNotice } from "../components/notice";
import { PasswordField } from "../components/password-field";
import { useMe } from "../session";

/** Change password: every other session of the account ends. */
export function ChangePasswordSection() {
  const { me } = useMe();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setDone(false);
    const result = await call(
      api.POST("/admin/me/password", { body: { current_password: current, new_password: next } }),
    );
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setCurrent("");
    setNext("");
    setDone(true);
  }

  const wrongCurrent = error?.code === "invalid_credentials" ? error.message : undefined;
  const formError =
    error && !wrongCurrent && !["current_password", "new_password"].includes(error.param ?? "")
      ? error
      : null;
  return (
    <section class="card" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <form onSubmit={submit} noValidate>
        <Field
          label="Current password"
          type="password"
          name="current_password"
          autocomplete="current-password"
          required
          value={current}
          error={fieldError(error, "current_password") ?? wrongCurrent}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
        <PasswordField
          label="New password"
          value={next}
          email={me.account.email}
          autocomplete="new-password"
          error={fieldError(error, "new_password")}
          onInput={setNext}
        />
        {formError ? <ErrorNotice error={formError} /> : null}
        {done ? (
          <p class="notice ok" role="status">
            Your password has been changed. Every other session of your account has ended.
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}
