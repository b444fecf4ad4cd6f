import type { ApiError } from "../api/client";
import { fieldError } from "../api/client";
import { Field } from "./field";

// The password, and the second factor's code, asked again before a sensitive change (email, two-factor
// authentication, deleting the account), worded and wired alike on every form that asks for them.

/** Where a refusal of these fields goes: beside the password, beside the code, or under the form. */
export function reauthErrors(error: ApiError | null, otherFields: string[] = []) {
  const password = error?.code === "invalid_credentials" ? error.message : fieldError(error, "password");
  const code = error?.code === "invalid_code" ? error.message : fieldError(error, "code");
  const elsewhere = otherFields.some((field) => fieldError(error, field) !== undefined);
  const form = error && !password && !code && !elsewhere ? error : null;
  return { password, code, form };
}

export function CurrentPasswordField(props: {
  value: string;
  error: string | undefined;
  onInput: (value: string) => void;
}) {
  return (
    <Field
      label="Password"
      type="password"
      name="password"
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
