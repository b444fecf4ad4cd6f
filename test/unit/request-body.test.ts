import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { inspectBody, multipartField, readBody } from "../../src/upstreams/request-body.js";

async function multipart(
  fields: Record<string, string | Blob>,
): Promise<{ raw: Buffer; contentType: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === "string") form.append(name, value);
    else form.append(name, value, "speech.wav");
  }
  const request = new Request("http://x/", { method: "POST", body: form });
  return {
    raw: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get("content-type") ?? "",
  };
}

describe("request body inspection", () => {
  it("finds a JSON body's model and keeps the bytes as sent", () => {
    const raw = Buffer.from('{ "model" : "m1",\n "messages": [] , "stream":true}');
    const result = inspectBody(raw, "application/json");
    expect(result).toMatchObject({ ok: true, body: { model: "m1", json: { stream: true } } });
    expect(result.ok && result.body.raw).toBe(raw);
  });

  it.each([
    ["not JSON", "{nope", "invalid_json"],
    ["a JSON list", "[1]", "invalid_json"],
    ["a JSON string", '"m1"', "invalid_json"],
    ["no model", '{"messages":[]}', "no_model"],
    ["an empty model", '{"model":""}', "no_model"],
    ["a numeric model", '{"model":5}', "model_not_string"],
  ])("refuses %s", (_what, text, reason) => {
    expect(inspectBody(Buffer.from(text), "application/json")).toEqual({ ok: false, reason });
  });

  it.each([
    ["a numeric stream", '{"model":"m","stream":1}', "stream", "a boolean"],
    ["a string stream", '{"model":"m","stream":"true"}', "stream", "a boolean"],
    [
      "stream_options as a string",
      '{"model":"m","stream":true,"stream_options":"yes"}',
      "stream_options",
      "an object",
    ],
    [
      "stream_options as a list",
      '{"model":"m","stream":true,"stream_options":[]}',
      "stream_options",
      "an object",
    ],
    [
      "a numeric include_usage",
      '{"model":"m","stream":true,"stream_options":{"include_usage":1}}',
      "stream_options.include_usage",
      "a boolean",
    ],
    [
      "a string continuous_usage_stats",
      '{"model":"m","stream":true,"stream_options":{"continuous_usage_stats":"true"}}',
      "stream_options.continuous_usage_stats",
      "a boolean",
    ],
  ])("refuses %s, which vLLM would read as true", (_what, text, param, expected) => {
    expect(inspectBody(Buffer.from(text), "application/json")).toEqual({
      ok: false,
      reason: "wrong_type",
      param,
      expected,
    });
  });

  it("takes null for the streaming options, as their default", () => {
    const text = '{"model":"m","stream":null,"stream_options":{"include_usage":null}}';
    expect(inspectBody(Buffer.from(text), "application/json")).toMatchObject({
      ok: true,
      body: { stream: false },
    });
    expect(inspectBody(Buffer.from('{"model":"m","stream_options":null}'), undefined).ok).toBe(true);
  });

  it.each([
    ['{"model":"m"}', 1],
    ['{"model":"m","n":4}', 4],
    ['{"model":"m","n":"4"}', 4],
    ['{"model":"m","n":0}', 1],
    ['{"model":"m","prompt":"one"}', 1],
    ['{"model":"m","prompt":[1,2,3]}', 1],
    ['{"model":"m","prompt":["one","two","three"],"n":2}', 6],
    ['{"model":"m","prompt":[[1,2],[3]]}', 2],
  ])("counts the completions %s asks for: %i", (text, choices) => {
    expect(inspectBody(Buffer.from(text), "application/json")).toMatchObject({ ok: true, body: { choices } });
  });

  it("finds the model field of a multipart form wherever it is, the file untouched", async () => {
    const audio = new Blob([Buffer.from('RIFF\r\n--fake boundary\r\nname="model"\r\n\r\nnot-this')]);
    const { raw, contentType } = await multipart({ file: audio, model: "whisper-large", language: "en" });
    const result = inspectBody(raw, contentType);
    expect(result).toMatchObject({ ok: true, body: { model: "whisper-large", json: undefined } });
    expect(result.ok && result.body.raw.equals(raw)).toBe(true);
  });

  it("refuses a multipart form without a model field", async () => {
    const { raw, contentType } = await multipart({ file: new Blob(["x"]), language: "en" });
    expect(inspectBody(raw, contentType)).toEqual({ ok: false, reason: "no_model" });
    // A body that does not begin with its delimiter is no form this reads.
    expect(multipartField(raw, "no-such-boundary", "model")).toEqual({ found: false, reason: "ambiguous" });
  });

  /** A form written by hand: each part's Content-Disposition parameters, then its content. */
  function handMade(parts: Array<[disposition: string, content: string]>, boundary = "BB") {
    const body = parts.map(
      ([d, c]) => `--${boundary}\r\nContent-Disposition: form-data; ${d}\r\n\r\n${c}\r\n`,
    );
    return Buffer.from(`${body.join("")}--${boundary}--\r\n`);
  }

  // The first part is always a plain `name="model"`; the second is written as each case says.
  it.each([
    ["a model given twice", 'name="model"', "model_repeated"],
    ["an unquoted name", "name=model", "ambiguous_form"],
    // Found by a review: python-multipart skips \" inside quotes, and strips \x1f around a key.
    ["a name behind an escaped quote", 'name="dummy"; a="\\"; b="; name=model; c="', "ambiguous_form"],
    ["a control character before a name", 'name="dummy"; \x1fname="model"', "ambiguous_form"],
    ["a name written as name*", "name*=UTF-8''model", "ambiguous_form"],
    ["a name with a backslash", 'name="mod\\el"', "ambiguous_form"],
    ["a name spelled otherwise", 'NAME="model"', "ambiguous_form"],
    ["two names for one part", 'name="file"; name="model"', "ambiguous_form"],
  ])("refuses a form that a parser upstream could read otherwise: %s", (_what, second, reason) => {
    const raw = handMade([
      ['name="model"', "allowed"],
      [second, "other"],
    ]);
    expect(inspectBody(raw, "multipart/form-data; boundary=BB")).toEqual({ ok: false, reason });
  });

  it("refuses a model given as a file", () => {
    const raw = handMade([['name="model"; filename="m.txt"', "other"]]);
    expect(inspectBody(raw, "multipart/form-data; boundary=BB")).toEqual({
      ok: false,
      reason: "model_not_string",
    });
  });

  it.each([
    ["two boundaries", "multipart/form-data; boundary=BB; boundary=CC"],
    ["a spaced second boundary", "multipart/form-data; boundary=BB; boundary =CC"],
    ["a boundary with a backslash", 'multipart/form-data; boundary="B\\B"'],
    ["another parameter", "multipart/form-data; boundary=BB; x=y"],
  ])("refuses a form type with %s", (_what, contentType) => {
    const raw = handMade([['name="model"', "whisper-1"]]);
    expect(inspectBody(raw, contentType)).toEqual({ ok: false, reason: "ambiguous_form" });
  });

  it("reads a quoted boundary and a charset, as clients write them", () => {
    const raw = handMade([['name="model"', "whisper-1"]]);
    for (const type of [
      'multipart/form-data; boundary="BB"',
      "multipart/form-data; boundary=BB; charset=utf-8",
    ]) {
      expect(inspectBody(raw, type)).toMatchObject({ ok: true, body: { model: "whisper-1" } });
    }
  });

  it("counts as a delimiter only one followed by CRLF or --, and refuses a body not starting with one", () => {
    // A file holding "--BBX" and a part after it: upstream, all of it is the file's content, and the
    // form has no model at all (vLLM would then use its own), so the model keyward saw must not count.
    const fake = '\r\n--BBX\r\nContent-Disposition: form-data; name="model"\r\n\r\nallowed';
    const raw = handMade([['name="file"; filename="a.wav"', `RIFF${fake}`]]);
    expect(inspectBody(raw, "multipart/form-data; boundary=BB")).toEqual({ ok: false, reason: "no_model" });
    const preamble = Buffer.concat([Buffer.from("preamble\r\n"), handMade([['name="model"', "m"]])]);
    expect(inspectBody(preamble, "multipart/form-data; boundary=BB")).toEqual({
      ok: false,
      reason: "ambiguous_form",
    });
  });

  it("reads a chunked body whole, and stops past the limit", async () => {
    const small = new PassThrough();
    const read = readBody(small as unknown as IncomingMessage, 10);
    small.write("12345");
    small.end("678");
    expect(await read).toEqual({ ok: true, raw: Buffer.from("12345678") });

    const big = new PassThrough();
    const tooLarge = readBody(big as unknown as IncomingMessage, 10);
    big.write("123456");
    big.write("789012");
    expect(await tooLarge).toEqual({ ok: false, reason: "too_large" });
  });

  it("says when the client left before the body ended", async () => {
    const gone = new PassThrough();
    const read = readBody(gone as unknown as IncomingMessage, 10);
    gone.write("12");
    gone.destroy();
    expect(await read).toEqual({ ok: false, reason: "aborted" });
  });
});
