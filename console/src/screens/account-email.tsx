import { useState } from "preact/hooks";
import { type ApiError, api, call, fieldError } from "../api/client";
import { Field } from "../components/field";
import { ErrorNotice } from "../components/notice";
import { useMe } from "../session";

/** Change email: a link goes to the new address; the current one stays until it is used. */
export function ChangeEmailSection() {
  const { me, refresh } = useMe();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const result = await call(api.POST("/admin/me/email", { body: { email, password } }));
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setSentTo(email.trim());
    setEmail("");
    setPassword("");
    const fresh = await call(api.GET("/admin/me"));
    if (fresh.ok) refresh(fresh.data);
  }

  const passwordError = error?.code === "invalid_credentials" ? error.message : fieldError(error, "password");
  const formError = error && !passwordError && !fieldError(error, "email") ? error : null;
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
      <form onSubmit={submit} noValidate>
        <Field
          label="New email address"
          type="email"
          name="email"
          autocomplete="email"
          required
          value={email}
          error={fieldError(error, "email")}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autocomplete="current-password"
          required
          value={password}
          error={passwordError}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {formError ? <ErrorNotice error={formError} /> : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Change email
          </button>
        </div>
      </form>
    </section>
  );
}
