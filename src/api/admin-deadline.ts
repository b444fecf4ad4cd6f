import type { RequestHandler, Response } from "express";
import { serviceUnavailable } from "../errors/app-error.js";
import { sendError } from "../http/errors.js";
import { withTimeout } from "../time/with-timeout.js";
import type { AppDeps } from "./deps.js";

// Every admin call answers within 5 s while PostgreSQL or Redis is away. A stalled server (a
// connection that stays open and never answers) holds a query for as long as the stall lasts: neither
// postgres.js nor BullMQ's connection bounds that on its own. So when a call is still unanswered at its
// deadline, PostgreSQL and Redis are asked to answer at once (one shared probe, at most 1 s): if either
// does not, the call is answered 503 and its work is told to stop (key changes check the signal before
// they commit, so a call answered 503 does not change a key afterwards). If both answer, the call is
// slow for another reason (a burst of password hashing on a busy machine) and goes on: shedding it
// would turn load into errors. HARD_LIMIT_MS bounds even that.

/** When a call still unanswered makes keyward check its services (the probe adds at most 1 s). */
export const ADMIN_DEADLINE_MS = 3_000;
const PROBE_TIMEOUT_MS = 1_000;
const HARD_LIMIT_MS = 30_000;

export class DeadlinePassed extends Error {
  constructor() {
    super("the admin call passed its deadline");
    this.name = "DeadlinePassed";
  }
}

/** Whether PostgreSQL and Redis both answer within PROBE_TIMEOUT_MS; concurrent callers share one probe. */
function dependencyProbe(deps: Pick<AppDeps, "database" | "redis">): () => Promise<boolean> {
  let running: Promise<boolean> | undefined;
  return () => {
    running ??= Promise.all([
      withTimeout(deps.database.sql`select 1`, PROBE_TIMEOUT_MS),
      withTimeout(deps.redis.ping(), PROBE_TIMEOUT_MS),
    ])
      .then(
        () => true,
        () => false,
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}

export function adminDeadline(
  deps: Pick<AppDeps, "database" | "redis">,
  options: { deadlineMs?: number; hardLimitMs?: number } = {},
): RequestHandler {
  const deadlineMs = options.deadlineMs ?? ADMIN_DEADLINE_MS;
  const hardLimitMs = options.hardLimitMs ?? HARD_LIMIT_MS;
  const servicesAnswer = dependencyProbe(deps);
  return (req, res, next) => {
    const controller = new AbortController();
    res.locals.deadline = controller.signal;
    const startedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const giveUp = (why: string) => {
      controller.abort(new DeadlinePassed());
      if (res.headersSent) return;
      req.log?.warn({ elapsedMs: Date.now() - startedAt, why }, "admin call answered 503 at its deadline");
      sendError(res, serviceUnavailable());
    };
    const check = () => {
      if (res.headersSent) return;
      if (Date.now() - startedAt >= hardLimitMs) return giveUp("hard limit");
      void servicesAnswer().then((answer) => {
        if (res.headersSent) return;
        if (!answer) giveUp("PostgreSQL or Redis does not answer");
        else timer = setTimeout(check, deadlineMs);
      });
    };
    timer = setTimeout(check, deadlineMs);
    // Cleared when the answer is sent or the client leaves, whichever comes first.
    res.once("close", () => clearTimeout(timer));
    next();
  };
}

/** The signal that fires when the call's deadline passes (a never-firing one outside /admin). */
export function deadlineOf(res: Response): AbortSignal {
  return (res.locals.deadline as AbortSignal | undefined) ?? new AbortController().signal;
}
