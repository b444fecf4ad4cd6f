import { useState } from "preact/hooks";
import { type ApiError, api, call, fieldError } from "../api/client";
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
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const enabled = me.account.totp_enabled;

  async function run<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>) {
    if (busy) return null;
    setBusy(true);
    setError(null);
    const result = await call(request);
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return null;
    }
    return result.data;
  }

  async function reloadMe() {
    const fresh = await call(api.GET("/admin/me"));
    if (fresh.ok) refresh(fresh.data);
  }

  async function start(event: Event) {
    event.preventDefault();
    const data = await run(api.POST("/admin/me/totp", { body: { password } }));
    if (!data) return;
    setPassword("");
    setStep({ name: "scan", uri: data.otpauth_uri, secret: data.secret });
  }

  async function confirm(event: Event) {
    event.preventDefault();
    const data = await run(
      api.POST("/admin/me/totp/confirm", { body: { code, end_other_sessions: endOthers } }),
    );
    if (!data) return;
    setCode("");
    setStep({ name: "codes", codes: data.recovery_codes });
  }

  async function turnOff(event: Event) {
    event.preventDefault();
    const ok = await run(api.DELETE("/admin/me/totp", { body: { password, code } }));
    if (ok === null) return;
    setPassword("");
    setCode("");
    await reloadMe();
  }

  const passwordError = error?.code === "invalid_credentials" ? error.message : fieldError(error, "password");
  const codeError = error?.code === "invalid_code" ? error.message : fieldError(error, "code");
  const formError = error && !passwordError && !codeError ? error : null;

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
          <button
            type="button"
            onClick={() => {
              setStep({ name: "idle" });
              void reloadMe();
            }}
          >
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
