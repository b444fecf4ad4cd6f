import { encode } from "uqr";

/**
 * A QR code drawn as SVG from the text (the otpauth:// URI), with no image request and no inline
 * markup string: one path of unit squares, scaled by the viewBox.
 */
export function QrCode(props: { text: string; label: string }) {
  const { data, size } = encode(props.text, { border: 2 });
  let d = "";
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    });
  });
  return (
    <svg
      class="qr-code"
      role="img"
      aria-label={props.label}
      viewBox={`0 0 ${size} ${size}`}
      width="200"
      height="200"
      shape-rendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
