import { useState } from "preact/hooks";
import { api } from "../api/client";
import { useSubmit } from "../api/use-submit";
import { CurrentPasswordField, reauthErrors, SecondFactorCodeField } from "../components/account-fields";
import { Dialog } from "../components/dialog";
import { ErrorNotice } from "../components/notice";
import { navigate } from "../router";
import { useMe } from "../session";

/** Delete the account: every key stops working at once; asks for the password (and a code). */
export function DeleteAccountSection() {
  const { me } = useMe();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const { busy, error, submit } = useSubmit();
  const needsCode = me.account.totp_enabled;

  async function deleteAccount(event: Event) {
    event.preventDefault();
    const body = needsCode ? { password, code } : { password };
    const result = await submit(() => api.DELETE("/admin/me", { body }));
    if (result?.ok) navigate("log-in?deleted=1", { replace: true });
  }

  const errors = reauthErrors(error, needsCode ? ["password", "code"] : ["password"]);
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
          <form onSubmit={deleteAccount} noValidate>
            <p>Every API key of this account stops working at once.</p>
            <CurrentPasswordField value={password} error={errors.password} onInput={setPassword} />
            {needsCode ? <SecondFactorCodeField value={code} error={errors.code} onInput={setCode} /> : null}
            {errors.form ? <ErrorNotice error={errors.form} /> : null}
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
