import commonPasswords from "virtual:common-passwords";
import { Field } from "./field";

// The server's password rules (src/accounts/passwords.ts), shown as the person types: 12 to 256
// characters, not the email's local part (nor containing it, from 3 characters), not a common password.
export function passwordRules(password: string, email: string) {
  const length = [...password].length;
  const local = email.split("@")[0]?.trim().toLowerCase() ?? "";
  const lower = password.toLowerCase();
  const namesEmail = local.length > 0 && (lower === local || (local.length >= 3 && lower.includes(local)));
  return [
    { label: "At least 12 characters", met: length >= 12 && length <= 256 },
    { label: "Not your email address's name", met: password.length > 0 && !namesEmail },
    { label: "Not a commonly used password", met: password.length > 0 && !commonPasswords.has(lower) },
  ];
}

export function PasswordField(props: {
  label: string;
  value: string;
  email: string;
  error?: string | undefined;
  autocomplete: "new-password" | "current-password";
  onInput: (value: string) => void;
  showRules?: boolean;
}) {
  const rules = passwordRules(props.value, props.email);
  return (
    <Field
      label={props.label}
      type="password"
      name="password"
      required
      autocomplete={props.autocomplete}
      value={props.value}
      error={props.error}
      onInput={(e) => props.onInput(e.currentTarget.value)}
      hint={
        props.showRules === false ? undefined : (
          <ul class="rules" aria-live="polite">
            {rules.map((rule) => (
              <li key={rule.label} class={rule.met ? "met" : "unmet"}>
                {rule.met ? "✓ " : "○ "}
                {rule.label}
                <span class="visually-hidden">{rule.met ? " (met)" : " (not met yet)"}</span>
              </li>
            ))}
          </ul>
        )
      }
    />
  );
}
