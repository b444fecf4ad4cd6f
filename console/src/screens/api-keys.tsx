import { useEffect, useState } from "preact/hooks";
import { type ApiError, api, call, type Key } from "../api/client";
import { Sparkline } from "../components/charts";
import { ErrorNotice, Loading } from "../components/notice";
import { Breadcrumb } from "../components/shell";
import { StatusBadge } from "../components/status";
import { DateOnly, RelativeTime } from "../components/time";
import { count } from "../count";
import { displayStatus, maskedKey, v1Url } from "../keys";
import { Link, navigate } from "../router";
import type { PageProps } from "../session";
import { CreateKeyDialog } from "./create-key-dialog";
import { RevokeKeyDialog } from "./revoke-key-dialog";

type StatusFilter = "active" | "revoked" | "expired" | "all";
const FILTERS: { value: StatusFilter; label: string }[] = [
  { value: "active", label: "Active" },
  { value: "revoked", label: "Revoked" },
  { value: "expired", label: "Expired" },
  { value: "all", label: "All" },
];
const PAGE_SIZE = 20;

/** The address of this page with one query parameter changed (the filter, the Create dialog). */
function withParam(params: URLSearchParams, name: string, value: string | null): string {
  const next = new URLSearchParams(params);
  if (value === null) next.delete(name);
  else next.set(name, value);
  const query = next.toString();
  return query ? `keys?${query}` : "keys";
}

/** Dashboard > API Keys: every key with its name, last 4, permissions, dates, status and last 7 days. */
export function ApiKeysPage(props: PageProps) {
  const status = (FILTERS.find((f) => f.value === props.params.get("status"))?.value ??
    "active") as StatusFilter;
  const creating = props.params.get("new") === "1";
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<{ data: Key[]; next_cursor: string | null } | null>(null);
  const [usage, setUsage] = useState<Record<string, number[]>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [revoking, setRevoking] = useState<Key | null>(null);
  const cursor = cursors[cursors.length - 1];

  async function load() {
    setError(null);
    const query = { status, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) };
    const result = await call(api.GET("/admin/keys", { params: { query } }));
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setPage(result.data);
    // The 7-day chart of each key on the page, fetched side by side; a failed one just has no chart.
    const entries = await Promise.all(
      result.data.data.map(async (key) => {
        const days = await call(
          api.GET("/admin/keys/{id}/usage", { params: { path: { id: key.id }, query: { days: 7 } } }),
        );
        return [key.id, days.ok ? days.data.data.map((d) => d.requests) : []] as const;
      }),
    );
    setUsage(Object.fromEntries(entries));
  }

  useEffect(() => {
    setPage(null);
    void load();
  }, [status, cursor]);

  // A change made here shows at once, in place, without reloading the list.
  const replaceKey = (key: Key) =>
    setPage((p) => (p ? { ...p, data: p.data.map((k) => (k.id === key.id ? key : k)) } : p));
  const addKey = (key: Key) => {
    if (status === "active" || status === "all") setPage((p) => (p ? { ...p, data: [key, ...p.data] } : p));
  };

  const keys = page?.data ?? [];
  const successors = new Set(keys.map((k) => k.rotated_from).filter((id): id is string => id !== null));

  return (
    <>
      <Breadcrumb trail={[{ label: "API Keys" }]} />
      <div class="page-head">
        <h1 tabIndex={-1}>API Keys</h1>
        <button type="button" onClick={() => navigate(withParam(props.params, "new", "1"))}>
          Create New Key
        </button>
      </div>
      <div class="filters">
        <label for="status-filter">Status</label>
        <select
          id="status-filter"
          value={status}
          onChange={(e) => {
            setCursors([undefined]);
            navigate(withParam(props.params, "status", e.currentTarget.value), { replace: true });
          }}
        >
          {FILTERS.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
        </select>
      </div>
      {error ? <ErrorNotice error={error} onRetry={() => void load()} /> : null}
      {!page && !error ? <Loading what="your API keys" /> : null}
      {page && keys.length === 0 && cursors.length === 1 ? <EmptyState status={status} /> : null}
      {keys.length > 0 ? (
        <div class="table-wrap">
          <table class="cards">
            <caption class="visually-hidden">Your API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Permissions</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">Requests, 7 days</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => {
                const days = usage[key.id] ?? [];
                const total = days.reduce((a, b) => a + b, 0);
                return (
                  <tr key={key.id}>
                    <td data-label="Name" class="name">
                      <Link to={`key?id=${key.id}`}>{key.name}</Link>
                    </td>
                    <td data-label="Key" class="mono">
                      {maskedKey(key)}
                    </td>
                    <td data-label="Permissions" class="perms">
                      {key.permissions.join(", ")}
                    </td>
                    <td data-label="Created">
                      <DateOnly iso={key.created_at} />
                    </td>
                    <td data-label="Last used">
                      <RelativeTime iso={key.last_used_at} />
                    </td>
                    <td data-label="Status">
                      <StatusBadge status={displayStatus(key, (id) => successors.has(id))} />
                    </td>
                    <td data-label="Requests, 7 days">
                      {days.length ? (
                        <Sparkline values={days} label={`${count(total, "request")} in the last 7 days`} />
                      ) : (
                        <span class="hint">–</span>
                      )}
                    </td>
                    <td data-label="Actions">
                      {key.status === "active" ? (
                        <button
                          type="button"
                          class="secondary"
                          aria-label={`Revoke ${key.name}`}
                          onClick={() => setRevoking(key)}
                        >
                          Revoke
                        </button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {page && (cursors.length > 1 || page.next_cursor) ? (
        <nav class="pager" aria-label="Pages of keys">
          <button
            type="button"
            class="secondary"
            disabled={cursors.length === 1}
            onClick={() => setCursors((c) => c.slice(0, -1))}
          >
            Previous page
          </button>
          <button
            type="button"
            class="secondary"
            disabled={!page.next_cursor}
            onClick={() => page.next_cursor && setCursors((c) => [...c, page.next_cursor ?? undefined])}
          >
            Next page
          </button>
        </nav>
      ) : null}
      {creating ? (
        <CreateKeyDialog
          onCreated={addKey}
          onClose={() => navigate(withParam(props.params, "new", null), { replace: true })}
        />
      ) : null}
      {revoking ? (
        <RevokeKeyDialog
          apiKey={revoking}
          onRevoked={(key) => {
            replaceKey(key);
            setRevoking(null);
          }}
          onClose={() => setRevoking(null)}
        />
      ) : null}
    </>
  );
}

/** No keys yet: how to make one, and the docs' first call filled in for this deployment. */
function EmptyState(props: { status: StatusFilter }) {
  if (props.status !== "active" && props.status !== "all") return <p>No {props.status} keys.</p>;
  const curl = `curl ${v1Url()}/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer sk-srt-your-api-key-here" \\
  -d '{
    "model": "vllm-primary",
    "messages": [{"role": "user", "content": "Hello!"}]
  }'`;
  return (
    <section class="card" aria-labelledby="empty-title">
      <h2 id="empty-title">You have no API keys yet</h2>
      <p>
        Click <strong>Create New Key</strong>, give it a descriptive name (e.g. "Development"), keep the
        default permissions and click <strong>Generate Key</strong>. Then call the API with it:
      </p>
      <pre>
        <code>{curl}</code>
      </pre>
    </section>
  );
}
