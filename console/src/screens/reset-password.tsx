import { useState } from "preact/hooks";
import { type ApiError, api, call, fieldError } from "../api/client";
import { ErrorNotice } from "../components/notice";
import { PasswordField } from "../components/password-field";
import { PublicShell } from "../components/shell";
import { Link } from "../router";
import type { PageProps } from "../session";

/** The page the password-reset email links to (CONSOLE_URL/reset-password?token=…). */
export function ResetPasswordPage(props: PageProps) {
  const token = props.params.get("token") ?? "";
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const result = await call(
      api.POST("/admin/accounts/password-reset/confirm", { body: { token, password } }),
    );
    setBusy(false);
    if (result.ok) setDone(true);
    else setError(result.error);
  }

  if (done) {
    return (
      <PublicShell title="Reset your password">
        <p class="notice ok" role="status">
          Your password has been changed, and every session of your account has ended.
        </p>
        <p>
          <Link to="log-in" class="button">
            Log in
          </Link>
        </p>
      </PublicShell>
    );
  }
  return (
    <PublicShell title="Reset your password">
      <form onSubmit={submit} noValidate>
        <PasswordField
          label="New password"
          value={password}
          email=""
          autocomplete="new-password"
          error={fieldError(error, "password")}
          onInput={setPassword}
        />
        {error && error.param !== "password" ? <ErrorNotice error={error} /> : null}
        {error?.code === "invalid_token" ? (
          <p>
            <Link to="forgot-password">Ask for a new link</Link>
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Set new password
          </button>
        </div>
      </form>
    </PublicShell>
  );
}
