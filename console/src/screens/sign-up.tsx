import { useState } from "preact/hooks";
import { api, fieldError } from "../api/client";
import { useSubmit } from "../api/use-submit";
import { EmailField } from "../components/account-fields";
import { ErrorNotice } from "../components/notice";
import { PasswordField } from "../components/password-field";
import { PublicShell } from "../components/shell";
import { Link, navigate } from "../router";

/** Sign Up: email and password, the rules shown as the person types; then "check your inbox". */
export function SignUpPage() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useSubmit();

  async function signUp(event: Event) {
    event.preventDefault();
    const result = await submit(() => api.POST("/admin/accounts", { body: { email, password } }));
    if (result?.ok) navigate(`check-inbox?email=${encodeURIComponent(result.data.account.email)}`);
  }

  const formError = error && !["email", "password"].includes(error.param ?? "") ? error : null;
  return (
    <PublicShell title="Sign Up">
      <form onSubmit={signUp} noValidate>
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
          <ErrorNotice error={formError} onRetry={() => void signUp(new Event("submit"))} />
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
