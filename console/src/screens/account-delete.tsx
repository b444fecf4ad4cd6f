import { useState } from "preact/hooks";
import { type ApiError, api, call, fieldError } from "../api/client";
import { Dialog } from "../components/dialog";
import { Field } from "../components/field";
import { ErrorNotice } from "../components/notice";
import { navigate } from "../router";
import { useMe } from "../session";

/** Delete the account: every key stops working at once; asks for the password (and a code). */
export function DeleteAccountSection() {
  const { me } = useMe();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const needsCode = me.account.totp_enabled;

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const body = needsCode ? { password, code } : { password };
    const result = await call(api.DELETE("/admin/me", { body }));
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    navigate("log-in?deleted=1", { replace: true });
  }

  const passwordError = error?.code === "invalid_credentials" ? error.message : fieldError(error, "password");
  const codeError = error?.code === "invalid_code" ? error.message : fieldError(error, "code");
  const formError = error && !passwordError && !codeError ? error : null;
  return (
    <section class="card" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete account</h2>
      <p>
        Deleting your account revokes every API key at once, signs you out everywhere and removes your email
        address and other personal data. It cannot be undone.
      </p>
      <div class="actions">
        <button type="button" class="danger" onClick={() => setOpen(true)}>
          Delete account
        </button>
      </div>
      {open ? (
        <Dialog title="Delete your account?" onRequestClose={() => setOpen(false)}>
          <form onSubmit={submit} noValidate>
            <p>Every API key of this account stops working at once.</p>
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
            {needsCode ? (
              <Field
                label="Authentication code or recovery code"
                type="text"
                name="code"
                autocomplete="one-time-code"
                required
                value={code}
                error={codeError}
                onInput={(e) => setCode(e.currentTarget.value)}
              />
            ) : null}
            {formError ? <ErrorNotice error={formError} /> : null}
            <div class="actions">
              <button type="button" class="secondary" onClick={() => setOpen(false)}>
                Cancel
              </button>
              <button type="submit" class="danger" disabled={busy}>
                Delete my account
              </button>
            </div>
          </form>
        </Dialog>
      ) : null}
    </section>
  );
}
