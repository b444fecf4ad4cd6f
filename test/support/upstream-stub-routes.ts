import type { ServerResponse } from "node:http";
import { CREATED, json, safeJson } from "./upstream-stub-chat.js";
import { promptTokensOf } from "./upstream-usage.js";

// vLLM's routes beyond chat and embeddings, as the upstream stand-in answers them: completions (plain
// and streamed), the Responses API (plain and streamed), audio transcriptions and translations (multipart), rerank, score,
// and tokenize/detokenize, which vLLM serves at its root rather than under /v1. Each answer names the
// model it was asked for, so a test can tell which upstream served it.

const send = (res: ServerResponse, status: number, body: unknown) => json(res, status, JSON.stringify(body));

/** vLLM's 404 for a model it does not serve; true: the route was answered. */
function notServed(res: ServerResponse, model: unknown): true {
  send(res, 404, {
    error: {
      message: `The model \`${model}\` does not exist.`,
      type: "NotFoundError",
      param: null,
      code: 404,
    },
  });
  return true;
}

/** The `model` field of a multipart body, found the simple way (the stand-in trusts its tests). */
function formModel(body: string): string | undefined {
  return /name="model"\r\n\r\n([^\r\n]*)\r\n/.exec(body)?.[1];
}

/** Answers `path` when it is one of these routes; false when it is not. */
export function answerOtherRoute(
  path: string,
  body: string,
  contentType: string | undefined,
  res: ServerResponse,
  stub: {
    models: string[];
    id: number;
    /** Created responses, kept in this server's memory as vLLM keeps them. */
    responses: Map<string, Record<string, unknown>>;
    /** Keeps a final usage figure in the stand-in's ledger. */
    report(model: string, promptTokens: number, completionTokens: number): void;
  },
): boolean {
  const multipart = contentType?.startsWith("multipart/form-data") ?? false;
  const parsed = multipart ? { model: formModel(body) } : (safeJson(body) ?? {});
  const model = parsed.model;
  const known = typeof model === "string" && stub.models.includes(model);
  const usage = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };
  switch (path) {
    case "/v1/completions": {
      if (!known) return notServed(res, model);
      const base = { id: `cmpl-${stub.id}`, object: "text_completion", created: CREATED, model };
      if (parsed.stream !== true) {
        send(res, 200, {
          ...base,
          choices: [{ index: 0, text: "Hello there!", logprobs: null, finish_reason: "stop" }],
          usage,
        });
        return true;
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const [text, finish] of [
        ["Hello", null],
        [" there!", "stop"],
      ] as const) {
        res.write(
          `data: ${JSON.stringify({ ...base, choices: [{ index: 0, text, logprobs: null, finish_reason: finish }] })}\n\n`,
        );
      }
      res.end("data: [DONE]\n\n");
      return true;
    }
    case "/v1/responses": {
      if (!known) return notServed(res, model);
      if (parsed.stream === true) {
        streamResponse(res, parsed, String(model), stub);
        return true;
      }
      const response = {
        id: `resp_${stub.id}${Math.random().toString(16).slice(2, 10)}`,
        object: "response",
        created_at: CREATED,
        status: parsed.background === true ? "queued" : "completed",
        background: parsed.background === true,
        model,
        output: [
          {
            type: "message",
            id: `msg_${stub.id}`,
            status: "completed",
            role: "assistant",
            content: [{ type: "output_text", text: "Hello there!", annotations: [] }],
          },
        ],
        usage: { input_tokens: 5, output_tokens: 3, total_tokens: 8 },
      };
      // Kept in this server's memory only, as vLLM keeps them: another replica never heard of it.
      stub.responses.set(response.id, response);
      send(res, 200, response);
      return true;
    }
    case "/v1/audio/transcriptions":
    case "/v1/audio/translations":
      if (!known) return notServed(res, model);
      // vLLM's transcription usage counts seconds of audio, not tokens.
      send(res, 200, { text: `heard by ${model}`, usage: { type: "duration", seconds: 3 } });
      return true;
    case "/v1/rerank":
    case "/v2/rerank":
      if (!known) return notServed(res, model);
      send(res, 200, {
        id: `rerank-${stub.id}`,
        model,
        results: [{ index: 0, relevance_score: 0.9, document: { text: "a" } }],
        usage: { total_tokens: 4 },
      });
      return true;
    case "/v1/score":
      if (!known) return notServed(res, model);
      send(res, 200, {
        id: `score-${stub.id}`,
        object: "list",
        created: CREATED,
        model,
        data: [{ index: 0, object: "score", score: 0.5 }],
        usage: { prompt_tokens: 4, total_tokens: 4 },
      });
      return true;
    case "/classify":
      if (!known) return notServed(res, model);
      send(res, 200, {
        id: `classify-${stub.id}`,
        object: "list",
        created: CREATED,
        model,
        data: [{ index: 0, label: "positive", probs: [0.1, 0.9], num_classes: 2 }],
        usage: { prompt_tokens: 4, total_tokens: 4, completion_tokens: 0 },
      });
      return true;
    case "/pooling":
      if (!known) return notServed(res, model);
      send(res, 200, {
        id: `pool-${stub.id}`,
        object: "list",
        created: CREATED,
        model,
        data: [{ index: 0, object: "pooling", data: [0.25, 0.75] }],
        usage: { prompt_tokens: 4, total_tokens: 4, completion_tokens: 0 },
      });
      return true;
    case "/tokenize":
      if (!known) return notServed(res, model);
      send(res, 200, { count: 2, max_model_len: 4096, tokens: [9906, 1917] });
      return true;
    case "/detokenize":
      if (!known) return notServed(res, model);
      send(res, 200, { prompt: "Hello world" });
      return true;
    default:
      return false;
  }
}

/**
 * A streamed Responses API answer as vLLM sends it: named events (`event:` and `data:` lines), the
 * answer's text in `response.output_text.delta` events, and its usage (input and output tokens) only
 * in the final `response.completed` (`usage: null` in the earlier snapshots of the response).
 */
function streamResponse(
  res: ServerResponse,
  parsed: Record<string, unknown>,
  model: string,
  stub: { id: number; report(model: string, promptTokens: number, completionTokens: number): void },
): void {
  const words = ["Hello", " there", "!"];
  const text = words.join("");
  const inputTokens = promptTokensOf(parsed);
  const ids = { response: `resp_${stub.id}`, item: `msg_${stub.id}` };
  const snapshot = (status: string, output: unknown[], usage: unknown) => ({
    id: ids.response,
    object: "response",
    created_at: CREATED,
    model,
    status,
    output,
    instructions: null,
    max_output_tokens: parsed.max_output_tokens ?? null,
    parallel_tool_calls: true,
    temperature: 1,
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    usage,
  });
  const part = { type: "output_text", text, annotations: [] };
  const item = (status: string, content: unknown[]) => ({
    id: ids.item,
    type: "message",
    role: "assistant",
    status,
    content,
  });
  const at = { item_id: ids.item, output_index: 0, content_index: 0 };
  let sequence = 0;
  const event = (type: string, body: object) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...body })}\n\n`;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.write(event("response.created", { response: snapshot("in_progress", [], null) }));
  res.write(event("response.in_progress", { response: snapshot("in_progress", [], null) }));
  res.write(event("response.output_item.added", { output_index: 0, item: item("in_progress", []) }));
  res.write(event("response.content_part.added", { ...at, part: { ...part, text: "" } }));
  for (const delta of words) res.write(event("response.output_text.delta", { ...at, delta, logprobs: [] }));
  res.write(event("response.output_text.done", { ...at, text, logprobs: [] }));
  res.write(event("response.content_part.done", { ...at, part }));
  res.write(event("response.output_item.done", { output_index: 0, item: item("completed", [part]) }));
  stub.report(model, inputTokens, words.length);
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: words.length,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + words.length,
  };
  res.end(
    event("response.completed", { response: snapshot("completed", [item("completed", [part])], usage) }),
  );
}

/** GET /v1/responses/:id and POST /v1/responses/:id/cancel, from this server's memory; false: not these. */
export function answerStoredResponse(
  method: string,
  path: string,
  res: ServerResponse,
  responses: Map<string, Record<string, unknown>>,
): boolean {
  const match = /^\/v1\/responses\/([^/]+)(\/cancel)?$/.exec(path);
  if (!match || (match[2] ? method !== "POST" : method !== "GET")) return false;
  const id = match[1] as string;
  const stored = responses.get(id);
  if (!stored) {
    const message = `Response with id '${id}' not found.`;
    send(res, 404, { error: { message, type: "invalid_request_error", param: "response_id", code: 404 } });
    return true;
  }
  if (match[2]) stored.status = "cancelled";
  send(res, 200, stored);
  return true;
}
