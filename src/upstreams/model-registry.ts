import { getFromUpstream, type Upstream } from "./upstream.js";

// Which upstream serves which model. Models are either listed in an upstream's configuration or
// learned from its GET /v1/models (what `vllm serve --served-model-name` reports), at start and then
// every 30 s in the background: requests never wait for a refresh, they read what is known. An upstream
// whose list has never been read (a vLLM server still loading its model when keyward starts) is asked
// again every few seconds until it answers, so that its models are not 404 for up to 30 s. The union
// of every upstream's models is what /v1/models answers, from memory.

/** A model as /v1/models lists it; vLLM's own fields (max_model_len, root …) are kept as learned. */
export interface ModelObject {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  [field: string]: unknown;
}

/** Fetches one upstream's model list; throws when it cannot be read. */
export type FetchModels = (upstream: Upstream) => Promise<ModelObject[]>;

export interface ModelRegistry {
  /** The upstreams that serve `model`, in configuration order (the any-model upstream last). */
  replicasOf(model: string): readonly Upstream[];
  /** Whether some upstream lists or reported this model. */
  knows(model: string): boolean;
  /** The union of every upstream's models, each id once, in the order first seen. */
  list(): readonly ModelObject[];
  find(model: string): ModelObject | undefined;
  /** Whether every upstream that learns its models has answered at least once. */
  readonly complete: boolean;
  /** Reads every learning upstream's model list now; resolves when all have answered or failed. */
  refresh(): Promise<void>;
  /** Resolves once the first refresh has ended (at once if none has begun). */
  ready(): Promise<void>;
  /**
   * The first refresh, then one every `refreshMs` (never two at a time), and every `unreadRetryMs` a
   * read of the upstreams whose list has never been read, if any (not while a refresh is under way).
   */
  start(): void;
  stop(): void;
  /**
   * Serves from now on these upstreams (a reloaded UPSTREAMS_FILE): what an upstream still present had
   * learned is kept, so its models stay routable; resolves once the new ones' lists have been read.
   */
  reconfigure(
    upstreams: readonly Upstream[],
    configured: ReadonlyMap<Upstream, readonly string[]>,
  ): Promise<void>;
}

export function createModelRegistry(
  initial: readonly Upstream[],
  options: {
    configured: ReadonlyMap<Upstream, readonly string[]>;
    fetchModels: FetchModels;
    refreshMs: number;
    /** How often an upstream whose list has never been read is asked again (default: refreshMs). */
    unreadRetryMs?: number;
    onRefreshFailed?: (upstream: Upstream, err: unknown) => void;
    createdAtSeconds: number;
  },
): ModelRegistry {
  let upstreams = initial;
  let configured = options.configured;
  let learning = upstreams.filter((u) => !configured.has(u));
  const learned = new Map<Upstream, ModelObject[]>();
  let anyModel = upstreams.filter((u) => u.anyModel);
  let byModel = new Map<string, Upstream[]>();
  let union: ModelObject[] = [];
  let unionById = new Map<string, ModelObject>();
  let running: Promise<void> | undefined;
  let first: Promise<void> | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let retryTimer: ReturnType<typeof setInterval> | undefined;
  let retrying: Promise<void> | undefined;

  function configuredObject(id: string): ModelObject {
    return { id, object: "model", created: options.createdAtSeconds, owned_by: "keyward" };
  }

  /** Rebuilt whole after each refresh and swapped in at once: readers never see half an update. */
  function rebuild(): void {
    const nextByModel = new Map<string, Upstream[]>();
    const nextUnion: ModelObject[] = [];
    const nextById = new Map<string, ModelObject>();
    for (const upstream of upstreams) {
      const listed = configured.get(upstream);
      const objects = listed ? listed.map(configuredObject) : (learned.get(upstream) ?? []);
      for (const object of objects) {
        const replicas = nextByModel.get(object.id) ?? [];
        if (!replicas.includes(upstream)) replicas.push(upstream);
        nextByModel.set(object.id, replicas);
        if (!nextById.has(object.id)) {
          nextById.set(object.id, object);
          nextUnion.push(object);
        }
      }
    }
    byModel = nextByModel;
    union = nextUnion;
    unionById = nextById;
  }

  async function refreshOne(upstream: Upstream): Promise<void> {
    try {
      learned.set(upstream, await options.fetchModels(upstream));
    } catch (err) {
      // What was learned before stays: a replica that is briefly away keeps its models, and its
      // health decides whether it gets requests.
      options.onRefreshFailed?.(upstream, err);
    }
  }

  function refresh(): Promise<void> {
    running ??= Promise.all(learning.map(refreshOne))
      .then(rebuild)
      .finally(() => {
        running = undefined;
      });
    first ??= running;
    return running;
  }

  /**
   * The upstreams never read yet, asked again. Kept apart from `running`: a server that does not answer
   * holds its retry for the whole read timeout, and the regular refresh of the others must not wait on
   * it (it would be skipped, tick after tick). Skipped while a refresh, which asks them too, is under way.
   */
  function retryUnread(): void {
    const unread = learning.filter((u) => !learned.has(u));
    if (unread.length === 0 || running || retrying) return;
    retrying = Promise.all(unread.map(refreshOne))
      .then(rebuild)
      .finally(() => {
        retrying = undefined;
      });
  }

  rebuild();
  return {
    replicasOf(model) {
      return byModel.get(model) ?? anyModel;
    },
    knows: (model) => byModel.has(model),
    list: () => union,
    find: (model) => unionById.get(model),
    get complete() {
      return learning.every((u) => learned.has(u));
    },
    refresh,
    ready: () => first ?? Promise.resolve(),
    start() {
      if (timer) return;
      void refresh();
      timer = setInterval(() => void refresh(), options.refreshMs);
      timer.unref();
      retryTimer = setInterval(retryUnread, options.unreadRetryMs ?? options.refreshMs);
      retryTimer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      if (retryTimer) clearInterval(retryTimer);
      timer = undefined;
      retryTimer = undefined;
    },
    async reconfigure(next, nextConfigured) {
      upstreams = next;
      configured = nextConfigured;
      learning = next.filter((u) => !nextConfigured.has(u));
      anyModel = next.filter((u) => u.anyModel);
      for (const upstream of learned.keys()) if (!learning.includes(upstream)) learned.delete(upstream);
      rebuild();
      // A refresh under way reads the old list of upstreams: the new ones are read after it.
      await running;
      await refresh();
    },
  };
}

/** Reads an upstream's GET /v1/models in the OpenAI list shape; anything else is a failure. */
export function fetchModelsOver(timeoutMs: number): FetchModels {
  return async (upstream) => {
    const res = await getFromUpstream(upstream, "/v1/models", timeoutMs);
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`GET /v1/models answered ${res.statusCode}`);
    }
    const body = (await res.body.json()) as { data?: unknown };
    if (!Array.isArray(body.data)) throw new Error("GET /v1/models answered no data list");
    return body.data
      .filter((m): m is { id: string } => typeof (m as { id?: unknown })?.id === "string")
      .map((m) => ({ created: 0, owned_by: "vllm", ...m, object: "model" as const }));
  };
}
