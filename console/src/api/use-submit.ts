import { useState } from "preact/hooks";
import { type ApiError, call, type Result } from "./client";

/**
 * A form's request, one at a time: `busy` while it runs (a second submit is ignored), then the API's
 * error, if it failed, for the form to show beside the field at fault or under it.
 */
export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit<T>(
    request: () => Promise<{ data?: T; error?: unknown; response: Response }>,
  ): Promise<Result<T> | null> {
    if (busy) return null;
    setBusy(true);
    setError(null);
    const result = await call(request());
    setBusy(false);
    if (!result.ok) setError(result.error);
    return result;
  }

  return { busy, error, submit };
}
