import { useEffect, useState } from "preact/hooks";
import { type ApiError, api, call } from "../api/client";
import { ErrorNotice, Loading } from "../components/notice";
import { RelativeTime } from "../components/time";
import { useMe } from "../session";

type Session = {
  id: string;
  created_at: string;
  last_used_at: string;
  ip: string | null;
  user_agent: string | null;
  current: boolean;
};

/** Where the account is signed in; any other session can be ended, one or all at once. */
export function SessionsSection() {
  const { me, refresh } = useMe();
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function load() {
    setError(null);
    const result = await call(api.GET("/admin/sessions"));
    if (result.ok) setSessions(result.data.data);
    else setError(result.error);
  }

  useEffect(() => {
    void load();
  }, []);

  async function act(request: Promise<{ data?: unknown; error?: unknown; response: Response }>) {
    if (busy) return;
    setBusy(true);
    setError(null);
    const result = await call(request);
    setBusy(false);
    if (!result.ok) setError(result.error);
    await load();
  }

  async function toggleAlerts(on: boolean) {
    const result = await call(api.PATCH("/admin/me", { body: { new_signin_emails: on } }));
    if (result.ok) refresh({ ...me, account: result.data.account });
    else setError(result.error);
  }

  const others = (sessions ?? []).filter((s) => !s.current);
  return (
    <section class="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      {sessions === null && !error ? <Loading what="sessions" /> : null}
      {sessions ? (
        <div class="table-wrap">
          {/* One card per row on a phone, so nothing scrolls sideways. */}
          <table class="cards">
            <caption class="visually-hidden">Where your account is signed in, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Browser</th>
                <th scope="col">IP address</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last active</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.id}>
                  <td data-label="Browser">
                    {s.user_agent ?? "Unknown"}
                    {s.current ? <strong> (this session)</strong> : null}
                  </td>
                  <td data-label="IP address">{s.ip ?? "–"}</td>
                  <td data-label="Signed in">
                    <RelativeTime iso={s.created_at} />
                  </td>
                  <td data-label="Last active">
                    <RelativeTime iso={s.last_used_at} />
                  </td>
                  <td data-label="">
                    {s.current ? null : (
                      <button
                        type="button"
                        class="secondary"
                        disabled={busy}
                        aria-label={`End the session of ${s.user_agent ?? "an unknown browser"} at ${s.ip ?? "an unknown address"}`}
                        onClick={() =>
                          void act(api.DELETE("/admin/sessions/{id}", { params: { path: { id: s.id } } }))
                        }
                      >
                        End
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {error ? <ErrorNotice error={error} onRetry={() => void load()} /> : null}
      <div class="actions">
        <button
          type="button"
          class="secondary"
          disabled={busy || others.length === 0}
          onClick={() => void act(api.DELETE("/admin/sessions", { params: { query: { others: "true" } } }))}
        >
          End all other sessions
        </button>
      </div>
      <div class="field">
        <label>
          <input
            type="checkbox"
            checked={me.account.new_signin_emails}
            onChange={(e) => void toggleAlerts(e.currentTarget.checked)}
          />{" "}
          Email me when my account signs in from a new IP address
        </label>
      </div>
    </section>
  );
}
