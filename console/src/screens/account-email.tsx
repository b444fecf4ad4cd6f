import { useState } from "preact/hooks";
import { api, call, fieldError } from "../api/client";
import { useSubmit } from "../api/use-submit";
import { CurrentPasswordField, EmailField, reauthErrors } from "../components/account-fields";
import { ErrorNotice } from "../components/notice";
import { useMe } from "../session";

/** Change email: a link goes to the new address; the current one stays until it is used. */
export function ChangeEmailSection() {
  const { me, refresh } = useMe();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useSubmit();
  const [sentTo, setSentTo] = useState<string | null>(null);

  async function changeEmail(event: Event) {
    event.preventDefault();
    const result = await submit(() => api.POST("/admin/me/email", { body: { email, password } }));
    if (!result?.ok) return;
    setSentTo(email.trim());
    setEmail("");
    setPassword("");
    const fresh = await call(api.GET("/admin/me"));
    if (fresh.ok) refresh(fresh.data);
  }

  const errors = reauthErrors(error, ["email", "password"]);
  const pending = me.account.pending_email;
  return (
    <section class="card" aria-labelledby="email-title">
      <h2 id="email-title">Change email</h2>
      {sentTo || pending ? (
        <p class="notice ok" role="status">
          We sent a confirmation link to {sentTo ?? pending}. Your email stays {me.account.email} until you
          open it.
        </p>
      ) : null}
      <form onSubmit={changeEmail} noValidate>
        <EmailField
          label="New email address"
          value={email}
          error={fieldError(error, "email")}
          onInput={setEmail}
        />
        <CurrentPasswordField value={password} error={errors.password} onInput={setPassword} />
        {errors.form ? <ErrorNotice error={errors.form} /> : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Change email
          </button>
        </div>
      </form>
    </section>
  );
}
