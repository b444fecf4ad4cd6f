import { useState } from "preact/hooks";
import { api, fieldError, INCOMPLETE_LINK } from "../api/client";
import { useSubmit } from "../api/use-submit";
import { ErrorNotice } from "../components/notice";
import { PasswordField } from "../components/password-field";
import { PublicForm } from "../components/public-form";
import { PublicShell } from "../components/shell";
import { Link } from "../router";
import type { PageProps } from "../session";

/** The page the password-reset email links to (CONSOLE_URL/reset-password?token=…). */
export function ResetPasswordPage(props: PageProps) {
  const token = props.params.get("token") ?? "";
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const { busy, error, submit } = useSubmit();

  async function setNewPassword(event: Event) {
    event.preventDefault();
    const result = await submit(() =>
      api.POST("/admin/accounts/password-reset/confirm", { body: { token, password } }),
    );
    if (result?.ok) setDone(true);
  }

  if (!token) {
    return (
      <PublicShell title="Reset your password">
        <ErrorNotice error={INCOMPLETE_LINK} />
        <p>
          <Link to="forgot-password">Ask for a new link</Link>
        </p>
      </PublicShell>
    );
  }
  if (done) {
    return (
      <PublicShell title="Reset your password">
        <p class="notice ok" role="status">
          Your password has been changed, and every session of your account has ended.
        </p>
        <p>
          <Link to="log-in" class="button">
            Log in
          </Link>
        </p>
      </PublicShell>
    );
  }
  return (
    <PublicForm
      title="Reset your password"
      onSubmit={setNewPassword}
      busy={busy}
      formError={error && error.param !== "password" ? error : null}
      after={
        error?.code === "invalid_token" ? (
          <p>
            <Link to="forgot-password">Ask for a new link</Link>
          </p>
        ) : null
      }
      submitLabel="Set new password"
    >
      <PasswordField
        label="New password"
        value={password}
        email=""
        autocomplete="new-password"
        error={fieldError(error, "password")}
        onInput={setPassword}
      />
    </PublicForm>
  );
}
