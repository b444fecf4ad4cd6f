import type { ComponentChildren, TargetedEvent } from "preact";
import { useId } from "preact/hooks";

interface InputProps {
  name: string;
  type: "text" | "email" | "password" | "number" | "date";
  value: string;
  onInput: (event: TargetedEvent<HTMLInputElement, Event>) => void;
  required?: boolean;
  autocomplete?: string;
  maxLength?: number;
  min?: number;
  max?: number;
  inputMode?: "numeric" | "text" | "email";
}

/** A labelled input with its hint and, beside it, the API's error for this field. */
export function Field(
  props: { label: string; error?: string | undefined; hint?: ComponentChildren } & InputProps,
) {
  const { label, error, hint, ...input } = props;
  const id = useId();
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        {...input}
        // Preact's types tell input kinds apart by `type`; this component takes any of a few kinds.
        type={input.type as "text"}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={described || undefined}
      />
      {hint ? (
        <div id={`${id}-hint`} class="hint">
          {hint}
        </div>
      ) : null}
      {error ? (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
