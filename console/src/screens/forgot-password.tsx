import { useState } from "preact/hooks";
import { type ApiError, api, call, fieldError } from "../api/client";
import { Field } from "../components/field";
import { ErrorNotice } from "../components/notice";
import { PublicShell } from "../components/shell";
import { Link } from "../router";

/** "Forgot password?": a reset link by email; the answer is the same whether or not the account exists. */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const result = await call(api.POST("/admin/accounts/password-reset", { body: { email } }));
    setBusy(false);
    if (result.ok) setSent(true);
    else setError(result.error);
  }

  return (
    <PublicShell title="Forgot password?">
      <p>Enter your email address and we will send you a link to reset your password.</p>
      <form onSubmit={submit} noValidate>
        <Field
          label="Email address"
          type="email"
          name="email"
          autocomplete="email"
          required
          value={email}
          error={fieldError(error, "email")}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        {error && error.param !== "email" ? <ErrorNotice error={error} /> : null}
        {sent ? (
          <p class="notice ok" role="status">
            If an account exists for that address, a link to reset its password is on its way. It works for 1
            hour.
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Send reset link
          </button>
        </div>
      </form>
      <p>
        <Link to="log-in">Log in</Link>
      </p>
    </PublicShell>
  );
}
