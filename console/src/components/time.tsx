const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const exact = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "long" });
const day = new Intl.DateTimeFormat("en", { dateStyle: "medium" });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86_400_000],
  ["month", 30 * 86_400_000],
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

export function relativeTime(iso: string, now = Date.now()): string {
  const delta = new Date(iso).getTime() - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms) return relative.format(Math.round(delta / ms), unit);
  }
  return "just now";
}

/** "3 minutes ago", with the exact time on hover (and for assistive technology, in datetime). */
export function RelativeTime(props: { iso: string | null; never?: string }) {
  if (!props.iso) return <span>{props.never ?? "Never"}</span>;
  return (
    <time dateTime={props.iso} title={exact.format(new Date(props.iso))}>
      {relativeTime(props.iso)}
    </time>
  );
}

export function DateOnly(props: { iso: string }) {
  return (
    <time dateTime={props.iso} title={exact.format(new Date(props.iso))}>
      {day.format(new Date(props.iso))}
    </time>
  );
}

export function exactTime(iso: string): string {
  return exact.format(new Date(iso));
}
