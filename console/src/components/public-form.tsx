import type { ComponentChildren } from "preact";
import type { ApiError } from "../api/client";
import { Link } from "../router";
import { ErrorNotice } from "./notice";
import { PublicShell } from "./shell";

/**
 * A page before logging in that is one form: the intro, the fields, the API's error when it belongs to
 * no field, what came of the last submit (`after`), the submit button, and a way back to Log in.
 */
export function PublicForm(props: {
  title: string;
  intro?: ComponentChildren;
  onSubmit: (event: Event) => void;
  busy: boolean;
  formError: ApiError | null;
  after?: ComponentChildren;
  submitLabel: string;
  submitClass?: "secondary";
  logInLink?: boolean;
  children: ComponentChildren;
}) {
  return (
    <PublicShell title={props.title}>
      {props.intro}
      <form onSubmit={props.onSubmit} noValidate>
        {props.children}
        {props.formError ? <ErrorNotice error={props.formError} /> : null}
        {props.after}
        <div class="actions">
          <button type="submit" class={props.submitClass} disabled={props.busy}>
            {props.submitLabel}
          </button>
        </div>
      </form>
      {props.logInLink ? (
        <p>
          <Link to="log-in">Log in</Link>
        </p>
      ) : null}
    </PublicShell>
  );
}
