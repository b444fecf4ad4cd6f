import type { ApiError } from "../api/client";
import { fieldError } from "../api/client";
import { Field } from "./field";

// The fields of the account forms, worded and wired alike wherever they are asked for: the email
// address, and the password and second factor's code (at login, and again before a sensitive change:
// the email, two-factor authentication, deleting the account).

/** An email address; `autocomplete` "username" where it names the account to log in to. */
export function EmailField(props: {
  label?: string;
  value: string;
  error: string | undefined;
  onInput: (value: string) => void;
  autocomplete?: "email" | "username";
}) {
  return (
    <Field
      label={props.label ?? "Email address"}
      type="email"
      name="email"
      autocomplete={props.autocomplete ?? "email"}
      required
      value={props.value}
      error={props.error}
      onInput={(e) => props.onInput(e.currentTarget.value)}
    />
  );
}

/**
 * Where a refusal goes: beside the password or the code when the form has that field (`fields` names
 * the form's fields), beside another of its fields, or else under the form, never nowhere: a form
 * without a code field still says why a code was wanted (two-factor turned on from elsewhere).
 */
export function reauthErrors(error: ApiError | null, fields: readonly string[]) {
  // Beside `field` when the form has it: the refusal naming it, or one whose code is about it.
  const beside = (field: string, aboutIt: string) => {
    if (!fields.includes(field)) return undefined;
    return error?.code === aboutIt ? error.message : fieldError(error, field);
  };
  const password = beside("password", "invalid_credentials");
  const code = beside("code", "invalid_code");
  const elsewhere = fields.some((field) => fieldError(error, field) !== undefined);
  const form = error && !password && !code && !elsewhere ? error : null;
  return { password, code, form };
}

export function CurrentPasswordField(props: {
  value: string;
  error: string | undefined;
  onInput: (value: string) => void;
  /** "Password" and `password` unless a form asks for it under another name. */
  label?: string;
  name?: string;
}) {
  return (
    <Field
      label={props.label ?? "Password"}
      type="password"
      name={props.name ?? "password"}
      autocomplete="current-password"
      required
      value={props.value}
      error={props.error}
      onInput={(e) => props.onInput(e.currentTarget.value)}
    />
  );
}

export function SecondFactorCodeField(props: {
  value: string;
  error: string | undefined;
  onInput: (value: string) => void;
}) {
  return (
    <Field
      label="Authentication code or recovery code"
      type="text"
      name="code"
      autocomplete="one-time-code"
      required
      value={props.value}
      error={props.error}
      onInput={(e) => props.onInput(e.currentTarget.value)}
    />
  );
}
