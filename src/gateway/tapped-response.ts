import type { ServerResponse } from "node:http";
import { Writable } from "node:stream";
import type { ResponseTap } from "../usage/response-tap.js";

/**
 * What the forwarder writes an answer into when its usage is read: every upstream chunk goes through
 * the tap, and what the tap gives back goes to the client, with the client's backpressure. When the
 * client goes away the writable is destroyed, which makes undici abort the upstream request.
 */
export class TappedResponse extends Writable {
  constructor(
    private readonly res: ServerResponse,
    private readonly tap: ResponseTap,
  ) {
    super();
    res.once("close", () => {
      if (!res.writableFinished) this.destroy();
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    const out = this.tap.write(chunk);
    if (out === undefined || this.res.write(out)) done();
    else this.res.once("drain", () => done());
  }

  override _final(done: (err?: Error | null) => void): void {
    const rest = this.tap.end();
    if (rest) this.res.write(rest);
    this.res.end(() => done());
  }
}
