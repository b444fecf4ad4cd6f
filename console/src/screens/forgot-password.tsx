import { useState } from "preact/hooks";
import { api, fieldError } from "../api/client";
import { useSubmit } from "../api/use-submit";
import { EmailField } from "../components/account-fields";
import { PublicForm } from "../components/public-form";

/** "Forgot password?": a reset link by email; the answer is the same whether or not the account exists. */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const { busy, error, submit } = useSubmit();

  async function requestLink(event: Event) {
    event.preventDefault();
    setSent(false);
    const result = await submit(() => api.POST("/admin/accounts/password-reset", { body: { email } }));
    if (result?.ok) setSent(true);
  }

  return (
    <PublicForm
      title="Forgot password?"
      intro={<p>Enter your email address and we will send you a link to reset your password.</p>}
      onSubmit={requestLink}
      busy={busy}
      formError={error && error.param !== "email" ? error : null}
      after={
        sent ? (
          <p class="notice ok" role="status">
            If an account exists for that address, a link to reset its password is on its way. It works for 1
            hour.
          </p>
        ) : null
      }
      submitLabel="Send reset link"
      logInLink
    >
      <EmailField value={email} error={fieldError(error, "email")} onInput={setEmail} />
    </PublicForm>
  );
}
