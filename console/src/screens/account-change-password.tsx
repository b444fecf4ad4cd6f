import { useState } from "preact/hooks";
import { api, fieldError } from "../api/client";
import { useSubmit } from "../api/use-submit";
import { CurrentPasswordField } from "../components/account-fields";
import { ErrorNotice } from "../components/notice";
import { PasswordField } from "../components/password-field";
import { useMe } from "../session";

/** Change password: every other session of the account ends. */
export function ChangePasswordSection() {
  const { me } = useMe();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const { busy, error, submit } = useSubmit();
  const [done, setDone] = useState(false);

  async function changePassword(event: Event) {
    event.preventDefault();
    setDone(false);
    const result = await submit(() =>
      api.POST("/admin/me/password", { body: { current_password: current, new_password: next } }),
    );
    if (!result?.ok) return;
    setCurrent("");
    setNext("");
    setDone(true);
  }

  const wrongCurrent = error?.code === "invalid_credentials" ? error.message : undefined;
  const formError =
    error && !wrongCurrent && !["current_password", "new_password"].includes(error.param ?? "")
      ? error
      : null;
  return (
    <section class="card" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <form onSubmit={changePassword} noValidate>
        <CurrentPasswordField
          label="Current password"
          name="current_password"
          value={current}
          error={fieldError(error, "current_password") ?? wrongCurrent}
          onInput={setCurrent}
        />
        <PasswordField
          label="New password"
          value={next}
          email={me.account.email}
          autocomplete="new-password"
          error={fieldError(error, "new_password")}
          onInput={setNext}
        />
        {formError ? <ErrorNotice error={formError} /> : null}
        {done ? (
          <p class="notice ok" role="status">
            Your password has been changed. Every other session of your account has ended.
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}
