import { useState } from "preact/hooks";
import { type ApiError, api, call, fieldError } from "../api/client";
import { EmailField } from "../components/account-fields";
import { ErrorNotice } from "../components/notice";
import { PasswordField } from "../components/password-field";
import { PublicShell } from "../components/shell";
import { Link, navigate } from "../router";

/** Sign Up: email and password, the rules shown as the person types; then "check your inbox". */
export function SignUpPage() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const result = await call(api.POST("/admin/accounts", { body: { email, password } }));
    setBusy(false);
    if (result.ok) navigate(`check-inbox?email=${encodeURIComponent(result.data.account.email)}`);
    else setError(result.error);
  }

  const formError = error && !["email", "password"].includes(error.param ?? "") ? error : null;
  return (
    <PublicShell title="Sign Up">
      <form onSubmit={submit} noValidate>
        <EmailField
          value={email}
          error={fieldError(error, "email") ?? (error?.code === "email_taken" ? error.message : undefined)}
          onInput={setEmail}
        />
        <PasswordField
          label="Password"
          value={password}
          email={email}
          autocomplete="new-password"
          error={fieldError(error, "password")}
          onInput={setPassword}
        />
        {formError && formError.code !== "email_taken" ? (
          <ErrorNotice error={formError} onRetry={() => void submit(new Event("submit"))} />
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Sign Up
          </button>
        </div>
      </form>
      <p>
        Already have an account? <Link to="log-in">Log in</Link>
      </p>
    </PublicShell>
  );
}
