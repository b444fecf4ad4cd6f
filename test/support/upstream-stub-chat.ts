import type { ServerResponse } from "node:http";
import {
  completionWords,
  promptTokensOf,
  streamUsageMode,
  type UsageLedger,
  usageJson,
} from "./upstream-usage.js";

// The upstream stand-in's chat completions (upstream-stub.ts): plain, or streamed chunk by chunk as
// vLLM does, with its usage reporting, a stream that can be held after its first chunk, and the odd
// models that answer with a redirect or a 500.

export const STUB_MODEL = "vllm-primary";
export const CREATED = 1_700_000_000;

/** A held stream: `sent` once its first chunk is written, then it waits for `gate`. */
export interface StreamHold {
  sent: () => void;
  gate: Promise<void>;
}

/** What the chat answers read of the stub's state. */
export interface ChatStub {
  models(): string[];
  nextId(): number;
  /** The hold holdNextStream() set, if any, taken by the next stream. */
  takeHold(): StreamHold | undefined;
  usage: UsageLedger;
  /** The benchmark's long streams: a pause between words. */
  streamIntervalMs: number;
}

export function json(res: ServerResponse, status: number, body: string, extra = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...extra });
  res.end(body);
}

export function openAiError(message: string, type: string, code: string | null, param: string | null = null) {
  return JSON.stringify({ error: { message, type, param, code } });
}

export function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** POST /v1/chat/completions, plain or streamed chunk by chunk, with vLLM's usage reporting. */
export function answerChat(stub: ChatStub, body: string, res: ServerResponse): void {
  const parsed = safeJson(body);
  if (!parsed || !Array.isArray(parsed.messages)) {
    json(res, 400, openAiError("messages is required", "BadRequestError", null, "messages"));
    return;
  }
  if (parsed.model === "redirect-me") {
    res.writeHead(302, { location: "/v1/models" });
    res.end();
    return;
  }
  if (parsed.model === "boom") {
    json(res, 500, openAiError("upstream exploded", "InternalServerError", null));
    return;
  }
  if (!stub.models().includes(String(parsed.model))) {
    json(
      res,
      404,
      openAiError(`The model \`${parsed.model}\` does not exist.`, "NotFoundError", "model_not_found"),
    );
    return;
  }
  const id = `chatcmpl-${stub.nextId()}`;
  const words = completionWords(parsed);
  const prompt = promptTokensOf(parsed);
  if (parsed.stream !== true) {
    // A cookie and hop-by-hop header the gateway must not pass on, and one header it must.
    const extra = {
      "set-cookie": "upstream_session=secret; Path=/",
      "x-upstream-served": "yes",
      "keep-alive": "timeout=77",
    };
    json(
      res,
      200,
      JSON.stringify({
        id,
        object: "chat.completion",
        created: CREATED,
        model: parsed.model,
        choices: [
          { index: 0, message: { role: "assistant", content: words.join("") }, finish_reason: "stop" },
        ],
        usage: reportUsage(stub.usage, String(parsed.model), prompt, words.length, true),
      }),
      extra,
    );
    return;
  }
  void streamChat(stub, id, String(parsed.model), words, prompt, streamUsageMode(parsed), res);
}

/** The `usage` object to send, kept in the ledger (final: what a complete answer reports). */
export function reportUsage(
  usage: UsageLedger,
  model: string,
  prompt: number,
  completion: number,
  final: boolean,
) {
  usage.reported.push({ model, promptTokens: prompt, completionTokens: completion, final });
  return usageJson(prompt, completion);
}

async function streamChat(
  stub: ChatStub,
  id: string,
  model: string,
  words: string[],
  prompt: number,
  mode: { final: boolean; continuous: boolean },
  res: ServerResponse,
) {
  let generated = 0;
  // vLLM's chunk: `usage` only with continuous_usage_stats (the running count), else no such key.
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({
      id,
      object: "chat.completion.chunk",
      created: CREATED,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(mode.continuous ? { usage: reportUsage(stub.usage, model, prompt, generated, false) } : {}),
    })}\n\n`;
  const say = (word: string) => {
    generated++;
    return chunk({ content: word }, null);
  };
  const held = stub.takeHold();
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.write(chunk({ role: "assistant", content: "" }, null));
  res.write(say(words[0] as string));
  if (held) {
    held.sent();
    await held.gate;
  }
  if (res.destroyed) return;
  for (const word of words.slice(1)) {
    // The benchmark's long streams: an LLM writes its tokens over seconds.
    if (stub.streamIntervalMs > 0) await new Promise((r) => setTimeout(r, stub.streamIntervalMs));
    if (res.destroyed) return;
    res.write(say(word));
  }
  res.write(chunk({}, "stop"));
  if (mode.final) {
    const last = { id, object: "chat.completion.chunk", created: CREATED, model, choices: [] };
    res.write(
      `data: ${JSON.stringify({ ...last, usage: reportUsage(stub.usage, model, prompt, generated, true) })}\n\n`,
    );
  }
  res.end("data: [DONE]\n\n");
}
