import type { RequestHandler, Response } from "express";
import { serviceUnavailable } from "../errors/app-error.js";
import { sendError } from "./error-handler.js";

// Every admin call answers within a bound, whatever PostgreSQL or Redis do. A stalled server (a
// connection that stays open and never answers) holds a query or command for as long as the stall
// lasts: neither postgres.js nor BullMQ's connection bounds that on its own. So the call is answered
// 503 when its deadline passes, and its work is told to stop: key changes check the signal before
// they commit, so that a call answered 503 by the deadline does not change a key afterwards.

/** Admin calls are answered within this (docs/operations.md states 5 s, which leaves a margin). */
export const ADMIN_DEADLINE_MS = 4_000;

export class DeadlinePassed extends Error {
  constructor() {
    super("the admin call passed its deadline");
    this.name = "DeadlinePassed";
  }
}

export function adminDeadline(ms = ADMIN_DEADLINE_MS): RequestHandler {
  return (req, res, next) => {
    const controller = new AbortController();
    res.locals.deadline = controller.signal;
    const timer = setTimeout(() => {
      controller.abort(new DeadlinePassed());
      if (res.headersSent) return;
      req.log?.warn({ deadlineMs: ms }, "admin call passed its deadline; answered 503");
      sendError(res, serviceUnavailable());
    }, ms);
    // Cleared when the answer is sent or the client leaves, whichever comes first.
    res.once("close", () => clearTimeout(timer));
    next();
  };
}

/** The signal that fires when the call's deadline passes (a never-firing one outside /admin). */
export function deadlineOf(res: Response): AbortSignal {
  return (res.locals.deadline as AbortSignal | undefined) ?? new AbortController().signal;
}
