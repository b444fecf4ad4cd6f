import commonPasswords from "virtual:common-passwords";
import { predictableParts } from "../../../src/accounts/password-patterns";
import { Field } from "./field";

type RuleState = "met" | "unmet" | "unsure";

const PASSWORD_MIN = 12;
const isListed = (s: string) => commonPasswords.has(s);

/**
 * The server's "common or too easy to guess" verdict, as far as the console can know it. The server
 * cuts out repetitions, sequences and its own name (predictableParts, shared with it) and refuses what
 * remains when it is short or a common password. The console carries only the list's entries of 12
 * characters or more (the whole list is some 180 KB gzipped), so a remainder of 6 to 11 characters
 * ("password" in "password123456") is "unsure": left to the server, never ticked.
 */
function guessability(password: string): RuleState {
  if ([...password].length < PASSWORD_MIN || isListed(password.toLowerCase())) return "unmet";
  if (predictableParts(password, isListed) !== null) return "unmet";
  const shortRemainderMayBeListed = (s: string) => isListed(s) || [...s].length < PASSWORD_MIN;
  return predictableParts(password, shortRemainderMayBeListed) === null ? "met" : "unsure";
}

// The server's password rules (src/accounts/passwords.ts), shown as the person types: 12 to 256
// characters, not the email's local part (nor containing it, from 3 characters), not a common
// password, not mostly repetitions or sequences.
export function passwordRules(password: string, email: string): { label: string; state: RuleState }[] {
  const length = [...password].length;
  const local = email.split("@")[0]?.trim().toLowerCase() ?? "";
  const lower = password.toLowerCase();
  const namesEmail = local.length > 0 && (lower === local || (local.length >= 3 && lower.includes(local)));
  const met = (ok: boolean): RuleState => (ok ? "met" : "unmet");
  return [
    { label: "At least 12 characters", state: met(length >= PASSWORD_MIN && length <= 256) },
    { label: "Not your email address's name", state: met(password.length > 0 && !namesEmail) },
    {
      label: "Not a commonly used password, nor mostly repeated or sequential characters",
      state: guessability(password),
    },
  ];
}

const MARK: Record<RuleState, string> = { met: "✓ ", unmet: "○ ", unsure: "? " };

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
              <li key={rule.label} class={rule.state}>
                {MARK[rule.state]}
                {rule.label}
                {rule.state === "unsure" ? (
                  " (checked when you submit)"
                ) : (
                  <span class="visually-hidden">{rule.state === "met" ? " (met)" : " (not met yet)"}</span>
                )}
              </li>
            ))}
          </ul>
        )
      }
    />
  );
}
