import { useState } from "preact/hooks";
import { type ApiError, api, call, fieldError } from "../api/client";
import { CurrentPasswordField, EmailField } from "../components/account-fields";
import { ErrorNotice } from "../components/notice";
import { PublicShell } from "../components/shell";
import { Link, navigate, safeNext } from "../router";
import type { PageProps } from "../session";
import { LogInCodeStep } from "./log-in-code";

/** Log in; afterwards, back where the person was when their session expired (or API Keys). */
export function LogInPage(props: PageProps) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [challenge, setChallenge] = useState<string | null>(null);
  const expired = props.params.get("expired") === "1";
  const deleted = props.params.get("deleted") === "1";

  async function finish() {
    const me = await call(api.GET("/admin/me"));
    if (!me.ok) {
      setError(me.error);
      return;
    }
    props.onLoggedIn?.(me.data);
    navigate(safeNext(props.params.get("next")), { replace: true });
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const login = await call(api.POST("/admin/sessions", { body: { email, password } }));
    if (!login.ok) {
      setBusy(false);
      setError(login.error);
      return;
    }
    // Two-factor authentication on: no session yet, a code is asked for next.
    if ("challenge" in login.data) {
      setBusy(false);
      setPassword("");
      setChallenge(login.data.challenge.token);
      return;
    }
    await finish();
    setBusy(false);
  }

  const formError = error && !["email", "password"].includes(error.param ?? "") ? error : null;
  if (challenge) {
    return (
      <PublicShell title="Log in">
        <LogInCodeStep token={challenge} onLoggedIn={finish} onRestart={() => setChallenge(null)} />
      </PublicShell>
    );
  }
  return (
    <PublicShell title="Log in">
      {deleted ? (
        <p class="notice ok" role="status">
          Your account has been deleted.
        </p>
      ) : null}
      {expired ? (
        <p class="notice caution" role="status">
          Your session has ended. Log in to continue where you were.
        </p>
      ) : null}
      <form onSubmit={submit} noValidate>
        <EmailField
          autocomplete="username"
          value={email}
          error={fieldError(error, "email")}
          onInput={setEmail}
        />
        <CurrentPasswordField value={password} error={fieldError(error, "password")} onInput={setPassword} />
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
        {formError?.code === "email_not_verified" ? (
          <p>
            <Link to={`check-inbox?email=${encodeURIComponent(email)}`}>
              Send the confirmation link again
            </Link>
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Log in
          </button>
        </div>
      </form>
      <p>
        <Link to="forgot-password">Forgot password?</Link>
      </p>
      <p>
        No account yet? <Link to="sign-up">Sign Up</Link>
      </p>
    </PublicShell>
  );
}
