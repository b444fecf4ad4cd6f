import { describe, expect, it } from "vitest";
import { atMostEvery } from "../../src/logging/at-most-every.js";

describe("atMostEvery", () => {
  it("writes the first call, holds back repeats within the window, and says how many it held", () => {
    let now = 0;
    const written: Array<Record<string, unknown>> = [];
    const log = atMostEvery(
      60_000,
      (fields) => written.push(fields),
      () => now,
    );
    log({ err: "ECONNREFUSED" });
    for (let i = 0; i < 5; i++) {
      now += 2_000; // a reconnect attempt every 2 s
      log({ err: "ECONNREFUSED" });
    }
    expect(written).toEqual([{ err: "ECONNREFUSED" }]);
    now = 60_000;
    log({ err: "ECONNREFUSED" });
    expect(written).toEqual([{ err: "ECONNREFUSED" }, { err: "ECONNREFUSED", repeats_held_back: 5 }]);
    now = 200_000;
    log({ err: "other" });
    expect(written.at(-1)).toEqual({ err: "other" });
  });
});
