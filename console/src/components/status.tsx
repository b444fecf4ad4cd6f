import type { DisplayStatus } from "../keys";

const LABEL: Record<DisplayStatus, string> = {
  active: "Active",
  revoked: "Revoked",
  expired: "Expired",
  rotating: "Rotating",
};

export function StatusBadge(props: { status: DisplayStatus }) {
  return <span class={`status ${props.status}`}>{LABEL[props.status]}</span>;
}
