import { count } from "../count";

// Small SVG charts: no chart library, nothing inline that the CSP would refuse (attributes only).

/** Requests over the last days as a line; the label says the total for a screen reader. */
export function Sparkline(props: { values: number[]; label: string }) {
  const width = 80;
  const height = 20;
  const max = Math.max(1, ...props.values);
  const step = props.values.length > 1 ? width / (props.values.length - 1) : width;
  const points = props.values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`)
    .join(" ");
  return (
    <svg
      class="sparkline"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      role="img"
      aria-label={props.label}
    >
      <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}

export interface Bar {
  label: string;
  value: number;
}

/** One bar per day; each bar's tooltip gives its day and value, counted in `unit` ("request"). */
export function BarChart(props: { bars: Bar[]; label: string; unit: string }) {
  const width = 600;
  const height = 160;
  const max = Math.max(1, ...props.bars.map((b) => b.value));
  const slot = width / Math.max(1, props.bars.length);
  return (
    <svg
      class="bar-chart"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={props.label}
      preserveAspectRatio="none"
    >
      {props.bars.map((bar, i) => {
        const h = (bar.value / max) * (height - 4);
        return (
          <rect key={bar.label} x={i * slot + 1} y={height - h} width={Math.max(1, slot - 2)} height={h}>
            <title>{`${bar.label}: ${count(bar.value, props.unit)}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}
