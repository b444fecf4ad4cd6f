import { useState } from "preact/hooks";
import { type ApiError, api, call } from "../api/client";
import { Field } from "../components/field";
import { ErrorNotice } from "../components/notice";
import { PublicShell } from "../components/shell";
import { Link } from "../router";
import type { PageProps } from "../session";

/** After Sign Up: the confirmation link is on its way; it can be sent again. */
export function CheckInboxPage(props: PageProps) {
  const [email, setEmail] = useState(props.params.get("email") ?? "");
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function resend(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const result = await call(api.POST("/admin/accounts/verification-email", { body: { email } }));
    setBusy(false);
    if (result.ok) setSent(true);
    else setError(result.error);
  }

  return (
    <PublicShell title="Check your inbox">
      <p>
        We sent a confirmation link to {email ? <strong>{email}</strong> : "your email address"}. Open it to
        verify your email address, then log in.
      </p>
      <form onSubmit={resend} noValidate>
        <Field
          label="Email address"
          type="email"
          name="email"
          autocomplete="email"
          required
          value={email}
          error={error?.param === "email" ? error.message : undefined}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        {error && error.param !== "email" ? <ErrorNotice error={error} /> : null}
        {sent ? (
          <p class="notice ok" role="status">
            If that address has an account waiting for verification, a new link is on its way.
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" class="secondary" disabled={busy}>
            Resend the email
          </button>
        </div>
      </form>
      <p>
        <Link to="log-in">Log in</Link>
      </p>
    </PublicShell>
  );
}
