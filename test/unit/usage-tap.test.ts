import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createResponseTap } from "../../src/usage/response-tap.js";
import { createSseUsageTap } from "../../src/usage/sse-usage-tap.js";
import { requestStreamUsage } from "../../src/usage/stream-options.js";
import { findUsage } from "../../src/usage/usage-in-json.js";

const event = (o: object) => `data: ${JSON.stringify(o)}\n\n`;
const content = (text: string, usage?: object) =>
  event({
    id: "c1",
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta: { content: text } }],
    ...(usage ? { usage } : {}),
  });
const usageOnly = event({
  id: "c1",
  object: "chat.completion.chunk",
  choices: [],
  usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
});
const done = "data: [DONE]\n\n";

/** Feeds `text` to a tap cut at the given byte offsets; returns what the client got. */
function run(tap: ReturnType<typeof createSseUsageTap>, text: string, cuts: number[]): string {
  const bytes = Buffer.from(text);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const at of [...points, bytes.length]) {
    if (at <= from) continue;
    const written = tap.write(bytes.subarray(from, at));
    if (written) out.push(written);
    from = at;
  }
  const rest = tap.end();
  if (rest) out.push(rest);
  return Buffer.concat(out).toString();
}

describe("findUsage", () => {
  it("reads chat, embeddings and Responses API usage, the last usage object winning", () => {
    const chat = {
      choices: [{ message: { content: 'say "usage": {"prompt_tokens": 99}' } }],
      usage: { prompt_tokens: 5, completion_tokens: 3 },
    };
    expect(findUsage(Buffer.from(JSON.stringify(chat)))).toEqual({ promptTokens: 5, completionTokens: 3 });
    expect(findUsage(Buffer.from('{"data":[],"usage": {"prompt_tokens":4,"total_tokens":4}}'))).toEqual({
      promptTokens: 4,
      completionTokens: 0,
    });
    const responses = {
      type: "response.completed",
      response: { output: [], usage: { input_tokens: 11, output_tokens: 2 } },
    };
    expect(findUsage(Buffer.from(JSON.stringify(responses)))).toEqual({
      promptTokens: 11,
      completionTokens: 2,
    });
    // vLLM's rerank reports only a total: every token of it was read.
    expect(findUsage(Buffer.from('{"results":[],"usage":{"total_tokens":9}}'))).toEqual({
      promptTokens: 9,
      completionTokens: 0,
    });
  });

  it("finds nothing in a body without a readable usage object", () => {
    for (const body of [
      "not json",
      '{"usage":null}',
      '{"usage":{"prompt_tokens":"5"}}',
      '{"x":"usage"}',
      '{"usage":{"prompt_tokens":5',
      // A transcription's seconds of audio are no tokens; nor is a total beside generated tokens alone.
      '{"text":"hi","usage":{"type":"duration","seconds":3}}',
      '{"usage":{"completion_tokens":2,"total_tokens":9}}',
    ]) {
      expect(findUsage(Buffer.from(body))).toBeUndefined();
    }
  });
});

describe("SSE usage tap", () => {
  const stream = content("Hel") + content("lo") + usageOnly + done;

  it("gives a client that did not ask exactly the stream it would have had, however the bytes are cut", () => {
    const without = content("Hel") + content("lo") + done;
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        const tap = createSseUsageTap({ stripUsageOnlyChunk: true });
        expect(run(tap, stream, cuts)).toBe(without);
        expect(tap.usage()).toEqual({ promptTokens: 7, completionTokens: 3 });
      }),
    );
  });

  it("takes out the null usage OpenAI's API adds to every chunk once keyward asked, and only that", () => {
    // OpenAI's chunks with include_usage: `"usage":null` last (JSON.stringify) or first, spaced or not.
    const openAi = (text: string) => content(text, undefined).replace(/}\n\n$/, ',"usage":null}\n\n');
    const first = 'data: {"usage": null, "choices": [{"delta": {"content": "x"}}]}\n\n';
    const asked = openAi("Hel") + openAi("lo") + first + usageOnly + done;
    const without = `${content("Hel") + content("lo")}data: {"choices": [{"delta": {"content": "x"}}]}\n\n${done}`;
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        const tap = createSseUsageTap({ stripUsageOnlyChunk: true });
        expect(run(tap, asked, cuts)).toBe(without);
        expect(tap.usage()).toEqual({ promptTokens: 7, completionTokens: 3 });
      }),
    );
    // A client that asked gets them as sent; a quoted "usage" inside content is never touched.
    const quoted = content('say "usage":null, please');
    expect(run(createSseUsageTap({ stripUsageOnlyChunk: false }), asked, [])).toBe(asked);
    expect(run(createSseUsageTap({ stripUsageOnlyChunk: true }), quoted + done, [])).toBe(quoted + done);
  });

  it("passes the usage chunk to a client that asked, byte for byte", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        const tap = createSseUsageTap({ stripUsageOnlyChunk: false });
        expect(run(tap, stream, cuts)).toBe(stream);
        expect(tap.usage()).toEqual({ promptTokens: 7, completionTokens: 3 });
      }),
    );
  });

  it("hands on a chunk holding whole events without usage as the same Buffer", () => {
    const tap = createSseUsageTap({ stripUsageOnlyChunk: true });
    const chunk = Buffer.from(content("a") + content("b"));
    expect(tap.write(chunk)).toBe(chunk);
  });

  it("keeps the latest cumulative usage of a continuous-usage stream whose client left mid-way", () => {
    const tap = createSseUsageTap({ stripUsageOnlyChunk: false });
    tap.write(Buffer.from(content("a", { prompt_tokens: 7, completion_tokens: 1 })));
    tap.write(Buffer.from(content("b", { prompt_tokens: 7, completion_tokens: 2 })));
    expect(tap.usage()).toEqual({ promptTokens: 7, completionTokens: 2 });
  });

  it("reads a stream whose events end with CRLF", () => {
    const crlf = stream.replaceAll("\n", "\r\n");
    const tap = createSseUsageTap({ stripUsageOnlyChunk: true });
    expect(run(tap, crlf, [30, 200])).toBe((content("Hel") + content("lo") + done).replaceAll("\n", "\r\n"));
    expect(tap.usage()).toEqual({ promptTokens: 7, completionTokens: 3 });
  });

  it("says a stream ended on vLLM's error event, however the bytes are cut, and only then", () => {
    const failed =
      content("Hel") + event({ error: { message: "boom", type: "InternalServerError", code: 500 } }) + done;
    for (const cuts of [[], [10], [failed.length - done.length], [30, failed.length - 3]]) {
      const tap = createSseUsageTap({ stripUsageOnlyChunk: true });
      expect(run(tap, failed, cuts)).toBe(failed);
      expect(tap.endedInError()).toBe(true);
    }
    const tap = createSseUsageTap({ stripUsageOnlyChunk: false });
    run(tap, content('an "error": none') + event({ id: "c1", error: null, choices: [] }) + done, [12]);
    expect(tap.endedInError()).toBe(false);
  });

  it("passes a stream it cannot read unchanged, with no usage", () => {
    const tap = createSseUsageTap({ stripUsageOnlyChunk: true });
    const text = 'data: {"usage": oops}\n\nevent: x\n';
    expect(run(tap, text, [5])).toBe(text);
    expect(tap.usage()).toBeUndefined();
  });
});

describe("JSON response tap", () => {
  it("passes every chunk on and reads the usage at the end, also of a large body", () => {
    const tap = createResponseTap({ contentType: "application/json", stripUsageOnlyChunk: false });
    const big = Buffer.from(`{"data":[${"0.123456,".repeat(300_000)}1],`);
    expect(tap.write(big)).toBe(big);
    tap.write(Buffer.from('"usage":{"prompt_tokens":12,'));
    tap.write(Buffer.from('"total_tokens":12}}'));
    expect(tap.end()).toBeUndefined();
    expect(tap.usage()).toEqual({ promptTokens: 12, completionTokens: 0 });
  });
});

describe("requestStreamUsage", () => {
  const ask = (text: string) => requestStreamUsage(Buffer.from(text), JSON.parse(text));

  it("adds include_usage as one member and leaves every other byte as sent", () => {
    const body = '{ "model":"m","stream":true,"temperature":1.0,"n":12345678901234567890 }';
    const out = ask(body);
    expect(out.kind).toBe("added");
    if (out.kind !== "added") return;
    expect(out.body.toString()).toBe(
      `{"stream_options":{"include_usage":true}, "model":"m","stream":true,"temperature":1.0,"n":12345678901234567890 }`,
    );
  });

  it("sets include_usage inside the client's own stream_options, and turns off a continuous flag that did nothing", () => {
    const out = ask(
      '{"stream":true,"stream_options":{"include_usage":false,"continuous_usage_stats":true},"model":"m"}',
    );
    if (out.kind !== "added") throw new Error(out.kind);
    expect(JSON.parse(out.body.toString())).toEqual({
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: false },
      model: "m",
    });
    expect(out.body.toString().endsWith(',"model":"m"}')).toBe(true);
  });

  it("reads a member name written with escapes as JSON.parse (and the upstream) reads it", () => {
    const body = '{"model":"m","stream":true,"stre\\u0061m_options":{"include_usage":false}}';
    expect(JSON.parse(body).stream_options).toEqual({ include_usage: false });
    const out = ask(body);
    if (out.kind !== "added") throw new Error(out.kind);
    expect(JSON.parse(out.body.toString()).stream_options).toEqual({ include_usage: true });
  });

  it("reads stream_options as vLLM does: an object without include_usage asks for usage, null does not", () => {
    expect(ask('{"stream":true,"stream_options":{}}')).toEqual({ kind: "client_asked" });
    expect(ask('{"stream":true,"stream_options":{"continuous_usage_stats":true}}')).toEqual({
      kind: "client_asked",
    });
    for (const options of ["null", '{"include_usage":null}', '{"include_usage":false}']) {
      const out = ask(`{"stream":true,"stream_options":${options}}`);
      if (out.kind !== "added") throw new Error(`${options}: ${out.kind}`);
      expect(JSON.parse(out.body.toString()).stream_options).toEqual({ include_usage: true });
    }
  });

  it("leaves a client that asked, a request that is not a stream, and a malformed option alone", () => {
    expect(ask('{"stream":true,"stream_options":{"include_usage":true}}')).toEqual({ kind: "client_asked" });
    expect(ask('{"stream":false}')).toEqual({ kind: "not_applicable" });
    expect(ask('{"stream":true,"stream_options":"yes"}')).toEqual({ kind: "not_applicable" });
  });
});
