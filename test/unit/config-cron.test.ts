import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.js";

// A schedule the worker cannot parse used to pass configuration and fail only when the worker set up
// its schedulers (a warning, then no reminders or purges at all). It must stop the process at start,
// naming the variable, like any other invalid variable.

describe("cron variables", () => {
  it.each([
    ["ROTATION_REMINDER_CRON", "every day at 9"],
    ["ROTATION_REMINDER_CRON", "0 25 * * *"],
    ["PURGE_CRON", "0 * * * * * * *"],
  ])("refuses %s=%j in one line naming it", (name, value) => {
    const result = parseConfig({ [name]: value });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain(name);
    expect(result.message).not.toContain("\n");
  });

  it.each([
    ["ROTATION_REMINDER_CRON", "0 9 * * *"],
    ["ROTATION_REMINDER_CRON", "30 8 * * MON-FRI"],
    ["PURGE_CRON", "*/15 * * * *"],
  ])("accepts %s=%j", (name, value) => {
    const result = parseConfig({ [name]: value });
    expect(result.ok).toBe(true);
  });
});
