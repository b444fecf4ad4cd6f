import { useState } from "preact/hooks";

/** Copies a text to the clipboard and says so where a screen reader hears it. */
export function CopyButton(props: { text: string; label?: string; onCopied?: () => void }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.text);
      setState("copied");
      props.onCopied?.();
    } catch {
      setState("failed");
    }
  }
  return (
    <span>
      <button type="button" class="secondary" onClick={() => void copy()} aria-label={props.label}>
        Copy
      </button>{" "}
      <span role="status" class="hint">
        {state === "copied" ? "Copied" : state === "failed" ? "Copy failed: select the text and copy it" : ""}
      </span>
    </span>
  );
}
