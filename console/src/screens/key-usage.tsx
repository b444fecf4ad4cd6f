import { BarChart } from "../components/charts";
import { Loading } from "../components/notice";
import { count } from "../count";

// Tokens per day and by model arrive once the admin API reports them; until then only requests.
export interface UsageDay {
  date: string;
  requests: number;
  prompt_tokens?: number;
  completion_tokens?: number;
  by_model?: { model: string | null; requests: number; prompt_tokens: number; completion_tokens: number }[];
}

/** Requests per day, and tokens per day and by model where the admin API reports them. */
export function KeyUsage(props: { usage: UsageDay[] | null }) {
  if (!props.usage) return <Loading what="usage" />;
  const days = props.usage;
  const total = days.reduce((sum, d) => sum + d.requests, 0);
  const hasTokens = days.some((d) => d.prompt_tokens !== undefined);
  const models = new Map<string, { requests: number; prompt: number; completion: number }>();
  for (const day of days) {
    for (const m of day.by_model ?? []) {
      const name = m.model ?? "(no model)";
      const sum = models.get(name) ?? { requests: 0, prompt: 0, completion: 0 };
      sum.requests += m.requests;
      sum.prompt += m.prompt_tokens;
      sum.completion += m.completion_tokens;
      models.set(name, sum);
    }
  }
  return (
    <section class="card" aria-labelledby="usage-title">
      <h2 id="usage-title">Usage, last 30 days</h2>
      <p>
        {count(total, "request")} in {count(days.length, "day")}.
      </p>
      <BarChart
        bars={days.map((d) => ({ label: d.date, value: d.requests }))}
        label={`Requests per day: ${total} in the last ${count(days.length, "day")}`}
        unit="request"
      />
      {hasTokens ? (
        <>
          <h3>Tokens per day</h3>
          <BarChart
            bars={days.map((d) => ({
              label: d.date,
              value: (d.prompt_tokens ?? 0) + (d.completion_tokens ?? 0),
            }))}
            label="Prompt and completion tokens per day"
            unit="token"
          />
        </>
      ) : null}
      {models.size > 0 ? (
        <div class="table-wrap">
          <table>
            <caption>Tokens by model, last 30 days</caption>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Requests</th>
                <th scope="col">Prompt tokens</th>
                <th scope="col">Completion tokens</th>
              </tr>
            </thead>
            <tbody>
              {[...models].map(([name, m]) => (
                <tr key={name}>
                  <td class="mono">{name}</td>
                  <td>{m.requests}</td>
                  <td>{m.prompt}</td>
                  <td>{m.completion}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
