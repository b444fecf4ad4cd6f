import type { ApiError } from "../api/client";

/** A failed call in the API's own words, with a way to try again. */
export function ErrorNotice(props: { error: ApiError; onRetry?: () => void; retryLabel?: string }) {
  return (
    <div class="notice error" role="alert">
      <p>{props.error.message}</p>
      {props.onRetry ? (
        <button type="button" class="secondary" onClick={props.onRetry}>
          {props.retryLabel ?? "Retry"}
        </button>
      ) : null}
    </div>
  );
}

export function Loading(props: { what: string }) {
  return (
    <p class="loading" aria-live="polite">
      Loading {props.what}…
    </p>
  );
}
