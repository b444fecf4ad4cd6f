import type { ServerResponse } from "node:http";
import { AppError } from "../errors/app-error.js";
import type { ModelObject, ModelRegistry } from "../upstreams/model-registry.js";
import { modelNotFound } from "../upstreams/send-to-replica.js";
import { mayUseModel } from "./key-records.js";

// GET /v1/models and GET /v1/models/:id, answered from what the model registry knows: the union of
// every upstream's models, no upstream call per request. A key limited to some models sees only those,
// and any other id is `model_not_found`, exactly like one that does not exist.

const notReadYet = () =>
  new AppError("upstream_unavailable", "The upstreams' model lists could not be read yet; retry shortly", {
    headers: { "retry-after": "1" },
  });

function sendJson(res: ServerResponse, body: string): void {
  res.statusCode = 200;
  res.setHeader("content-type", "application/json");
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}

export function createModelAnswers(registry: ModelRegistry) {
  // The full list's JSON, made once per registry update (the list is replaced whole on each).
  let serialisedFor: readonly ModelObject[] | undefined;
  let serialised = "";

  function listJson(allowed: ReadonlySet<string> | null): string {
    const list = registry.list();
    if (allowed !== null) {
      return JSON.stringify({ object: "list", data: list.filter((m) => allowed.has(m.id)) });
    }
    if (list !== serialisedFor) {
      serialised = JSON.stringify({ object: "list", data: list });
      serialisedFor = list;
    }
    return serialised;
  }

  return {
    /** Answers the list, or returns the error to answer with (nothing is sent then). */
    async list(res: ServerResponse, allowed: ReadonlySet<string> | null): Promise<AppError | undefined> {
      await registry.ready();
      // Nothing known and some upstream never read: an empty list would be a wrong answer.
      if (registry.list().length === 0 && !registry.complete) return notReadYet();
      sendJson(res, listJson(allowed));
      return undefined;
    },

    async get(
      res: ServerResponse,
      id: string,
      allowed: ReadonlySet<string> | null,
    ): Promise<AppError | undefined> {
      await registry.ready();
      const mayUse = mayUseModel(allowed, id);
      const model = mayUse ? registry.find(id) : undefined;
      if (!model) return mayUse && !registry.complete ? notReadYet() : modelNotFound(id);
      sendJson(res, JSON.stringify(model));
      return undefined;
    },
  };
}
