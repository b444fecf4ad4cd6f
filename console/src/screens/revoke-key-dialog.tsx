import { api, type Key } from "../api/client";
import { useSubmit } from "../api/use-submit";
import { Dialog } from "../components/dialog";
import { ErrorNotice } from "../components/notice";
import { maskedKey } from "../keys";

/** Revoke, confirmed by name: immediate and irreversible, as the docs warn. */
export function RevokeKeyDialog(props: { apiKey: Key; onRevoked: (key: Key) => void; onClose: () => void }) {
  const { busy, error, submit } = useSubmit();

  async function revoke() {
    const result = await submit(() =>
      api.POST("/admin/keys/{id}/revoke", { params: { path: { id: props.apiKey.id } } }),
    );
    if (result?.ok) props.onRevoked(result.data.key);
  }

  return (
    <Dialog title={`Revoke "${props.apiKey.name}"?`} onRequestClose={props.onClose}>
      <p>
        Revoke the key <strong>{props.apiKey.name}</strong> (<code>{maskedKey(props.apiKey)}</code>)?
      </p>
      <div class="notice caution">
        <p>
          <strong>Warning:</strong> Revoking a key is immediate and irreversible. Any applications using that
          key will immediately receive 401 Unauthorized errors.
        </p>
      </div>
      {error ? <ErrorNotice error={error} onRetry={() => void revoke()} /> : null}
      <div class="actions">
        <button type="button" class="danger" disabled={busy} onClick={() => void revoke()}>
          Revoke
        </button>
        {/* The safe choice has focus when the dialog opens: Enter twice must not revoke. */}
        <button type="button" class="secondary" autofocus onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
