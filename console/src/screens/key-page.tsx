import { useEffect, useState } from "preact/hooks";
import { type ApiError, api, call, fieldError, type Key } from "../api/client";
import { Field } from "../components/field";
import { modelsText } from "../components/models-choice";
import { ErrorNotice, Loading } from "../components/notice";
import { Breadcrumb } from "../components/shell";
import { StatusBadge } from "../components/status";
import { exactTime, RelativeTime } from "../components/time";
import { count } from "../count";
import { maskedKey } from "../keys";
import { Link, navigate } from "../router";
import type { PageProps } from "../session";
import { KeyModels } from "./key-models";
import { TokenLimitSection } from "./key-token-limit";
import { KeyUsage, type UsageDay } from "./key-usage";
import { RevokeKeyDialog } from "./revoke-key-dialog";
import { RotateKeyDialog } from "./rotate-key-dialog";

/** A key's page: its details, usage per day, rename, token limit, its models, Rotate, Revoke. */
export function KeyPage(props: PageProps) {
  const id = props.params.get("id") ?? "";
  const [key, setKey] = useState<Key | null>(null);
  const [usage, setUsage] = useState<UsageDay[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [dialog, setDialog] = useState<"rotate" | "revoke" | null>(null);
  const [rotating, setRotating] = useState(false);

  async function load() {
    setError(null);
    // No id (a link cut short): /admin/keys/ would answer the key list, not a key.
    if (!id) {
      setError({ status: 404, code: "not_found", message: "No such API key" });
      return;
    }
    const [found, days] = await Promise.all([
      call(api.GET("/admin/keys/{id}", { params: { path: { id } } })),
      call(api.GET("/admin/keys/{id}/usage", { params: { path: { id }, query: { days: 30 } } })),
    ]);
    if (!found.ok) {
      setError(found.error);
      return;
    }
    setKey(found.data.key);
    setUsage(days.ok ? (days.data.data as UsageDay[]) : []);
    // A rotated key keeps working until its grace period ends (its expires_at); it is "rotating" while
    // an active key names it in rotated_from. An account has at most 100 active keys: one page.
    if (found.data.key.status === "active" && found.data.key.expires_at) {
      const active = await call(
        api.GET("/admin/keys", { params: { query: { status: "active", limit: 100 } } }),
      );
      setRotating(active.ok && active.data.data.some((k) => k.rotated_from === id));
    }
  }

  useEffect(() => {
    setKey(null);
    setRotating(false);
    // A dialog belongs to the key it was opened on, not to the next one shown here.
    setDialog(null);
    void load();
  }, [id]);

  if (error) {
    return (
      <>
        <Breadcrumb trail={[{ label: "API Keys", to: "keys" }, { label: "Key" }]} />
        <h1 tabIndex={-1}>API key</h1>
        <ErrorNotice error={error} onRetry={error.code === "not_found" ? undefined : () => void load()} />
        <p>
          <Link to="keys">Back to API Keys</Link>
        </p>
      </>
    );
  }
  if (!key) return <Loading what="the key" />;

  const status = rotating && key.status === "active" ? "rotating" : key.status;
  return (
    <>
      <Breadcrumb trail={[{ label: "API Keys", to: "keys" }, { label: key.name }]} />
      <div class="page-head">
        <h1 tabIndex={-1}>{key.name}</h1>
        {key.status === "active" ? (
          <div class="actions">
            <button type="button" class="secondary" onClick={() => setDialog("rotate")}>
              Rotate
            </button>
            <button type="button" class="danger" onClick={() => setDialog("revoke")}>
              Revoke
            </button>
          </div>
        ) : null}
      </div>
      <dl class="details">
        <dt>Key</dt>
        <dd class="mono">{maskedKey(key)}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={status} />
        </dd>
        <dt>Permissions</dt>
        <dd class="mono">{key.permissions.join(", ")}</dd>
        <dt>Models</dt>
        <dd class={key.models ? "mono" : undefined}>{modelsText(key.models)}</dd>
        <dt>Rate limit</dt>
        <dd>{count(key.rate_limit_per_minute, "request")} per minute</dd>
        <dt>Token limit</dt>
        <dd>{count(key.token_limit_per_minute, "token")} per minute</dd>
        <dt>Created</dt>
        <dd>{exactTime(key.created_at)}</dd>
        <dt>Last used</dt>
        <dd>
          <RelativeTime iso={key.last_used_at} />
        </dd>
        <dt>{key.status === "expired" ? "Expired" : "Expires"}</dt>
        <dd>{key.expires_at ? exactTime(key.expires_at) : "Never"}</dd>
        {key.revoked_at ? (
          <>
            <dt>Revoked</dt>
            <dd>{exactTime(key.revoked_at)}</dd>
          </>
        ) : null}
        {key.rotated_from ? (
          <>
            <dt>Replaces</dt>
            <dd>
              <Link to={`key?id=${key.rotated_from}`}>the key it was rotated from</Link>
            </dd>
          </>
        ) : null}
      </dl>
      <KeyUsage usage={usage} />
      <RenameSection apiKey={key} onRenamed={setKey} />
      <TokenLimitSection apiKey={key} onSaved={setKey} />
      <KeyModels apiKey={key} onChanged={setKey} />
      {dialog === "revoke" ? (
        <RevokeKeyDialog
          apiKey={key}
          onRevoked={(revoked) => {
            setKey(revoked);
            setDialog(null);
          }}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog === "rotate" ? (
        <RotateKeyDialog
          apiKey={key}
          onRotated={({ previous }) => {
            setKey(previous);
            setRotating(true);
          }}
          onClose={(newKey) => {
            setDialog(null);
            if (newKey) navigate(`key?id=${newKey.id}`);
          }}
        />
      ) : null}
    </>
  );
}

function RenameSection(props: { apiKey: Key; onRenamed: (key: Key) => void }) {
  const [name, setName] = useState(props.apiKey.name);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  async function rename(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setSaved(false);
    const result = await call(
      api.PATCH("/admin/keys/{id}", { params: { path: { id: props.apiKey.id } }, body: { name } }),
    );
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setSaved(true);
    props.onRenamed(result.data.key);
  }

  if (props.apiKey.status === "revoked") return null;
  return (
    <section class="card" aria-labelledby="rename-title">
      <h2 id="rename-title">Rename</h2>
      <form onSubmit={rename} noValidate>
        <Field
          label="Name"
          name="name"
          type="text"
          required
          maxLength={100}
          value={name}
          error={fieldError(error, "name")}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        {error && error.param !== "name" ? <ErrorNotice error={error} /> : null}
        {saved ? (
          <p role="status" class="hint">
            Renamed.
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Rename
          </button>
        </div>
      </form>
    </section>
  );
}
