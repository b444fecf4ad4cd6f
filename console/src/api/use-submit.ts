import { useRef, useState } from "preact/hooks";
import { type ApiError, call, type Result } from "./client";

/**
 * A form's request, one at a time: `busy` while it runs (a second submit is ignored, by a ref: state set
 * in this render is not seen by a click handled before the next one), then the API's error, if it
 * failed, for the form to show beside the field at fault or under it.
 */
export function useSubmit() {
  const inFlight = useRef(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit<T>(
    request: () => Promise<{ data?: T; error?: unknown; response: Response }>,
  ): Promise<Result<T> | null> {
    if (inFlight.current) return null;
    inFlight.current = true;
    setBusy(true);
    setError(null);
    const result = await call(request());
    inFlight.current = false;
    setBusy(false);
    if (!result.ok) setError(result.error);
    return result;
  }

  return { busy, error, submit };
}
