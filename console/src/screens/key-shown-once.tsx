import { useEffect, useId, useRef, useState } from "preact/hooks";
import { CopyButton } from "../components/copy-button";
import { Dialog } from "../components/dialog";
import { useServedModels } from "../components/models-choice";
import { v1Url } from "../keys";
import { useLeaveGuard } from "../router";

/**
 * The model the snippets name: one the key may use and this deployment serves, so that a pasted call
 * works (a key may list models no upstream serves); the docs' example until either is known.
 */
function snippetModel(keyModels: string[] | null, served: string[] | null): string {
  return keyModels?.find((m) => served?.includes(m)) ?? keyModels?.[0] ?? served?.[0] ?? "vllm-primary";
}

/** A word for a POSIX shell, in single quotes: nothing inside is expanded, and `'` becomes `'\''`. */
function shellQuoted(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

function snippets(secret: string, model: string): { title: string; code: string }[] {
  const base = v1Url();
  // A key's model ids may hold quotes: JSON.stringify keeps the body JSON, and the shell quoting keeps a
  // pasted command from running anything the id spells out.
  const body = shellQuoted(
    `{"model": ${JSON.stringify(model)}, "messages": [{"role": "user", "content": "Hello!"}]}`,
  );
  return [
    {
      title: "curl, Authorization: Bearer",
      code: `curl ${base}/chat/completions \\\n  -H "Content-Type: application/json" \\\n  -H "Authorization: Bearer ${secret}" \\\n  -d ${body}`,
    },
    {
      title: "curl, X-API-Key",
      code: `curl ${base}/chat/completions \\\n  -H "X-API-Key: ${secret}" \\\n  -H "Content-Type: application/json" \\\n  -d ${body}`,
    },
    // The key goes into the environment, and the SDK snippets read it from there: pasted into a source
    // file, they hold no key (the docs: "never hardcode it").
    {
      title: "Environment variable (Linux/macOS)",
      code: `export SOLIDRUST_API_KEY="${secret}"`,
    },
    {
      title: "Python (OpenAI SDK)",
      code: `import os\nfrom openai import OpenAI\n\nclient = OpenAI(\n    api_key=os.environ.get("SOLIDRUST_API_KEY"),\n    base_url="${base}"\n)`,
    },
    {
      title: "JavaScript/TypeScript (OpenAI SDK)",
      code: `import OpenAI from 'openai';\n\nconst client = new OpenAI({\n  apiKey: process.env.SOLIDRUST_API_KEY,\n  baseURL: '${base}',\n});`,
    },
  ];
}

/**
 * The full key, shown this once, with Copy and ready-to-paste snippets for this deployment. Closing
 * asks first, and so does leaving the page: the key cannot be retrieved later.
 */
export function KeyShownOnce(props: {
  title: string;
  name: string;
  secret: string;
  /** The key's models; null: every model. */
  models: string[] | null;
  onClose: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const { served } = useServedModels();
  const model = snippetModel(props.models, served);
  const guardRef = useRef<HTMLButtonElement>(null);
  const doneRef = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  const secretId = useId();
  // Back, Forward, reload and closing the tab ask too, until the question below is answered Yes.
  const hold = useLeaveGuard(() => setConfirming(true));
  // The guard's question takes focus when it appears, and Go back returns it to Done.
  useEffect(() => {
    if (confirming) guardRef.current?.focus();
    else if (asked.current) doneRef.current?.focus();
    asked.current ||= confirming;
  }, [confirming]);
  return (
    <Dialog title={props.title} onRequestClose={() => setConfirming(true)}>
      <div class="notice caution">
        <p>
          <strong>Important:</strong> Your API key will only be shown once. Copy it immediately and store it
          securely. You cannot retrieve the full key later.
        </p>
      </div>
      <p>
        Key for <strong>{props.name}</strong>:
      </p>
      <div class="secret">
        <label for={secretId} class="visually-hidden">
          Your API key
        </label>
        <input
          id={secretId}
          class="mono"
          type="text"
          readOnly
          value={props.secret}
          onFocus={(e) => e.currentTarget.select()}
        />
        <CopyButton text={props.secret} label="Copy the API key" />
      </div>
      <h3>Use it</h3>
      {snippets(props.secret, model).map((s) => (
        <div class="snippet" key={s.title}>
          <div class="snippet-head">
            <h4>{s.title}</h4>
            <CopyButton text={s.code} label={`Copy the ${s.title} snippet`} />
          </div>
          <pre>
            <code>{s.code}</code>
          </pre>
        </div>
      ))}
      {confirming ? (
        <div class="notice caution">
          <p role="alert">You won't see this key again. Have you copied it somewhere safe?</p>
          <div class="actions">
            <button type="button" ref={guardRef} onClick={() => hold.leave(props.onClose)}>
              Yes, close
            </button>
            <button
              type="button"
              class="secondary"
              onClick={() => {
                hold.stay();
                setConfirming(false);
              }}
            >
              Go back
            </button>
          </div>
        </div>
      ) : (
        <div class="actions">
          <button type="button" ref={doneRef} onClick={() => setConfirming(true)}>
            Done
          </button>
        </div>
      )}
    </Dialog>
  );
}
