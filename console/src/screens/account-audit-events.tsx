import { useEffect, useState } from "preact/hooks";
// The server's own summary, as the Sessions list shows it; the audit log keeps the whole header.
import { summariseUserAgent } from "../../../src/sessions/user-agent";
import { type ApiError, api, call } from "../api/client";
import { ErrorNotice, Loading } from "../components/notice";
import { RelativeTime } from "../components/time";
import { Link } from "../router";

type AuditEvent = {
  id: string;
  action: string;
  key_id: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
};

/** What happened to the account, newest first, a page at a time. */
export function AuditEventsSection() {
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function load(cursor?: string) {
    setBusy(true);
    setError(null);
    const query = { limit: 20, ...(cursor ? { cursor } : {}) };
    const result = await call(api.GET("/admin/audit-events", { params: { query } }));
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setEvents((list) => (cursor ? [...list, ...result.data.data] : result.data.data));
    setNext(result.data.next_cursor);
  }

  useEffect(() => {
    void load();
  }, []);

  return (
    <section class="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit events</h2>
      {next === undefined && !error ? <Loading what="events" /> : null}
      {events.length > 0 ? (
        <div class="table-wrap">
          {/* One card per row on a phone, as Sessions. */}
          <table class="cards">
            <caption class="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Key</th>
                <th scope="col">IP address</th>
                <th scope="col">Browser</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td data-label="When">
                    <RelativeTime iso={e.created_at} />
                  </td>
                  <td data-label="Event" class="mono">
                    {e.action}
                  </td>
                  <td data-label="Key">{e.key_id ? <Link to={`key?id=${e.key_id}`}>View key</Link> : "–"}</td>
                  <td data-label="IP address" class="mono">
                    {e.ip ?? "–"}
                  </td>
                  <td data-label="Browser">{summariseUserAgent(e.user_agent) ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : next === null ? (
        <p>No events yet.</p>
      ) : null}
      {error ? <ErrorNotice error={error} onRetry={() => void load(next ?? undefined)} /> : null}
      {next ? (
        <div class="actions">
          <button type="button" class="secondary" disabled={busy} onClick={() => void load(next)}>
            Older events
          </button>
        </div>
      ) : null}
    </section>
  );
}
