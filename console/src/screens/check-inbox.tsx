import { useState } from "preact/hooks";
import { api } from "../api/client";
import { useSubmit } from "../api/use-submit";
import { EmailField } from "../components/account-fields";
import { PublicForm } from "../components/public-form";
import type { PageProps } from "../session";

/** After Sign Up: the confirmation link is on its way; it can be sent again. */
export function CheckInboxPage(props: PageProps) {
  const [email, setEmail] = useState(props.params.get("email") ?? "");
  const [sent, setSent] = useState(false);
  const { busy, error, submit } = useSubmit();

  async function resend(event: Event) {
    event.preventDefault();
    setSent(false);
    const result = await submit(() => api.POST("/admin/accounts/verification-email", { body: { email } }));
    if (result?.ok) setSent(true);
  }

  return (
    <PublicForm
      title="Check your inbox"
      intro={
        <p>
          We sent a confirmation link to {email ? <strong>{email}</strong> : "your email address"}. Open it to
          verify your email address, then log in.
        </p>
      }
      onSubmit={resend}
      busy={busy}
      formError={error && error.param !== "email" ? error : null}
      after={
        sent ? (
          <p class="notice ok" role="status">
            If that address has an account waiting for verification, a new link is on its way.
          </p>
        ) : null
      }
      submitLabel="Resend the email"
      submitClass="secondary"
      logInLink
    >
      <EmailField
        value={email}
        error={error?.param === "email" ? error.message : undefined}
        onInput={setEmail}
      />
    </PublicForm>
  );
}
