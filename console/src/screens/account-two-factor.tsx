import { useState } from "preact/hooks";
import { api, call } from "../api/client";
import { useSubmit } from "../api/use-submit";
import { CurrentPasswordField, reauthErrors, SecondFactorCodeField } from "../components/account-fields";
import { CopyButton } from "../components/copy-button";
import { Field } from "../components/field";
import { ErrorNotice } from "../components/notice";
import { QrCode } from "../components/qr-code";
import { useMe } from "../session";

type Step =
  | { name: "idle" }
  | { name: "scan"; uri: string; secret: string }
  | { name: "codes"; codes: string[] };

/** Two-factor authentication: turn on (password, scan, a code, recovery codes shown once) or off. */
export function TwoFactorSection() {
  const { me, refresh } = useMe();
  const [step, setStep] = useState<Step>({ name: "idle" });
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [endOthers, setEndOthers] = useState(true);
  const { busy, error, submit } = useSubmit();
  const enabled = me.account.totp_enabled;

  async function reloadMe() {
    const fresh = await call(api.GET("/admin/me"));
    if (fresh.ok) refresh(fresh.data);
  }

  async function start(event: Event) {
    event.preventDefault();
    const result = await submit(() => api.POST("/admin/me/totp", { body: { password } }));
    if (!result?.ok) return;
    setPassword("");
    setStep({ name: "scan", uri: result.data.otpauth_uri, secret: result.data.secret });
  }

  async function confirm(event: Event) {
    event.preventDefault();
    const result = await submit(() =>
      api.POST("/admin/me/totp/confirm", { body: { code, end_other_sessions: endOthers } }),
    );
    if (!result?.ok) return;
    setCode("");
    setStep({ name: "codes", codes: result.data.recovery_codes });
    // At once, not on Done: the person may leave by the menu, and Delete account must ask for a code.
    await reloadMe();
  }

  async function turnOff(event: Event) {
    event.preventDefault();
    const result = await submit(() => api.DELETE("/admin/me/totp", { body: { password, code } }));
    if (!result?.ok) return;
    setPassword("");
    setCode("");
    await reloadMe();
  }

  const fields = step.name === "scan" ? ["code"] : enabled ? ["password", "code"] : ["password"];
  const { password: passwordError, code: codeError, form: formError } = reauthErrors(error, fields);

  let body: preact.JSX.Element;
  if (step.name === "codes") {
    body = (
      <div>
        <p class="notice ok" role="status">
          Two-factor authentication is on.
        </p>
        <p>
          Save these recovery codes somewhere safe. Each one works once, in place of a code from your app. You
          won't see them again.
        </p>
        <ul class="recovery-codes" aria-label="Recovery codes">
          {step.codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <div class="actions">
          <CopyButton text={step.codes.join("\n")} label="Copy the recovery codes" />
          <button type="button" onClick={() => setStep({ name: "idle" })}>
            Done
          </button>
        </div>
      </div>
    );
  } else if (step.name === "scan") {
    body = (
      <form onSubmit={confirm} noValidate>
        <p>Scan this QR code with your authenticator app, then enter the 6-digit code it shows.</p>
        <QrCode text={step.uri} label="QR code for your authenticator app" />
        <p>
          Can't scan it? Enter this setup key in the app: <code>{step.secret}</code>
        </p>
        <Field
          label="Authentication code"
          type="text"
          name="code"
          inputMode="numeric"
          autocomplete="one-time-code"
          required
          value={code}
          error={codeError}
          onInput={(e) => setCode(e.currentTarget.value)}
        />
        <div class="field">
          <label>
            <input
              type="checkbox"
              checked={endOthers}
              onChange={(e) => setEndOthers(e.currentTarget.checked)}
            />{" "}
            End every other session
          </label>
        </div>
        {formError ? <ErrorNotice error={formError} /> : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Turn on
          </button>
        </div>
      </form>
    );
  } else if (enabled) {
    body = (
      <form onSubmit={turnOff} noValidate>
        <p>Two-factor authentication is on: signing in needs a code from your authenticator app.</p>
        <CurrentPasswordField value={password} error={passwordError} onInput={setPassword} />
        <SecondFactorCodeField value={code} error={codeError} onInput={setCode} />
        {formError ? <ErrorNotice error={formError} /> : null}
        <div class="actions">
          <button type="submit" class="danger" disabled={busy}>
            Turn off two-factor authentication
          </button>
        </div>
      </form>
    );
  } else {
    body = (
      <form onSubmit={start} noValidate>
        <p>Protect your account with a code from an authenticator app each time you sign in.</p>
        <CurrentPasswordField value={password} error={passwordError} onInput={setPassword} />
        {formError ? <ErrorNotice error={formError} /> : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Set up two-factor authentication
          </button>
        </div>
      </form>
    );
  }
  return (
    <section class="card" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">Two-factor authentication</h2>
      {body}
    </section>
  );
}
