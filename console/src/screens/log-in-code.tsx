import { useState } from "preact/hooks";
import { type ApiError, api, call } from "../api/client";
import { Field } from "../components/field";
import { ErrorNotice } from "../components/notice";

/**
 * The second step of logging in with two-factor authentication on: a code from the app, or one of
 * the recovery codes. The challenge lasts 5 minutes; when it has expired, the person starts again.
 */
export function LogInCodeStep(props: {
  token: string;
  onLoggedIn: () => Promise<void>;
  onRestart: () => void;
}) {
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const body = useRecovery ? { token: props.token, recovery_code: code } : { token: props.token, code };
    const result = await call(api.POST("/admin/sessions/challenge", { body }));
    if (!result.ok) {
      setBusy(false);
      setError(result.error);
      return;
    }
    await props.onLoggedIn();
    setBusy(false);
  }

  const codeError = error?.code === "invalid_code" ? error.message : undefined;
  const expired = error?.code === "invalid_token";
  const formError = error && !codeError && !expired ? error : null;
  return (
    <form onSubmit={submit} noValidate>
      <p>
        {useRecovery
          ? "Enter one of your recovery codes. Each one works once."
          : "Enter the 6-digit code from your authenticator app."}
      </p>
      <Field
        label={useRecovery ? "Recovery code" : "Authentication code"}
        type="text"
        name="code"
        inputMode={useRecovery ? "text" : "numeric"}
        autocomplete="one-time-code"
        required
        value={code}
        error={codeError}
        onInput={(e) => setCode(e.currentTarget.value)}
      />
      {expired ? (
        <div class="notice caution" role="alert">
          <p>This sign-in has expired. Enter your email and password again.</p>
          <button type="button" class="secondary" onClick={props.onRestart}>
            Start again
          </button>
        </div>
      ) : null}
      {formError ? <ErrorNotice error={formError} /> : null}
      <div class="actions">
        <button type="submit" disabled={busy}>
          Verify
        </button>
      </div>
      <p>
        <button
          type="button"
          class="link"
          onClick={() => {
            setUseRecovery(!useRecovery);
            setCode("");
            setError(null);
          }}
        >
          {useRecovery ? "Use a code from your app instead" : "Use a recovery code instead"}
        </button>
      </p>
    </form>
  );
}
