/**
 * The two-level cache of `resources/read` and of opted-in read-only `tools/call` results:
 * L1 an in-process LRU (lru-cache) bounded by entries and bytes, L2 Redis shared by every node
 * (redis-l2.ts). A request first looks in L1, then joins an identical request already in flight
 * (single flight: one handler run serves them all, and its error reaches them all, uncached),
 * then asks L2, and only then runs the handler. Invalidations (`notifications/resources/updated`,
 * `…/list_changed`) drop L1 here, bump the L2 epochs, and travel to the other nodes on the bus.
 * Every entry also expires: nothing is kept past its TTL.
 *
 * The server middleware (server.ts) and the client wrapper (client.ts) are thin shapes over
 * `McpCache.fetch`; a gateway may call it directly.
 */
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { shareResult } from '../../protocol/encode.js';
import { toError } from '../../protocol/errors.js';
import type { Result, ToolAnnotations } from '../../protocol/types.js';
import { RedisBus } from '../../stores/redis/bus.js';
import type { MessageBus } from '../../stores/types.js';
import { canonicalJson, entryKey, type CacheClass, type EntryKey } from './key.js';
import { CACHE_DEFAULTS, cacheableAnnotations, positive, refuseTool, resolveBase, resolvePolicy, type McpCacheOptions, type ResolvedPolicy } from './options.js';
import { RedisL2, type L2Lookup } from './redis-l2.js';

/** One request as the cache sees it. */
export interface CacheRequest {
  readonly method: string;
  readonly params: Record<string, unknown> | undefined;
  /** The caller (`identityOf(call.auth)`); '' or undefined for an unauthenticated call. */
  readonly identity?: string | undefined;
  /**
   * The request's own signal. When the request that ran the handler is cancelled, the requests
   * that joined it are not failed with its cancellation: one of them runs the handler instead.
   */
  readonly signal?: AbortSignal | undefined;
}

/** Counters for metrics; `bytes` and `entries` are L1's current size. */
export interface CacheStats {
  /** Served from the cache: `l1Hits + l2Hits`. */
  hits: number;
  l1Hits: number;
  l2Hits: number;
  /** Ran the handler (or the upstream) because no level had the entry. */
  misses: number;
  /** Joined an identical request in flight instead of running the handler again. */
  coalesced: number;
  /** Not cacheable (another method, a tool not opted in, an MRTR retry, a task-augmented call). */
  bypassed: number;
  /** Results stored. */
  stores: number;
  /** Results not stored: an error result, a 0 ttlMs, an input_required round, or too large. */
  uncacheable: number;
  /** L1 entries pushed out by the entry or byte bound (not expiry, not invalidation). */
  evictions: number;
  invalidations: number;
  /** L2 (Redis) or bus failures. */
  errors: number;
  bytes: number;
  entries: number;
}

interface L1Entry {
  readonly result: Readonly<Result>;
  readonly bytes: number;
  readonly cls: CacheClass;
  readonly target: string;
}

interface Outcome {
  readonly result: Result;
  /** Set when the entry turned out private to one caller although the policy shares it. */
  readonly privateTo: string | undefined;
}

interface Flight {
  readonly promise: Promise<Outcome>;
  /** The signal of the request running the load. */
  readonly signal: AbortSignal | undefined;
  readonly cls: CacheClass;
  readonly target: string;
}

interface Plan {
  readonly cls: CacheClass;
  readonly target: string;
  readonly ttlMs: number;
  readonly identity: string;
  /** Where a result is stored (the shared key, or the caller's), and the single-flight key. */
  readonly primary: EntryKey;
  /** The caller's own key: where a result marked private goes. */
  readonly own: EntryKey;
  /** Keys looked up, in order. */
  readonly candidates: readonly EntryKey[];
}

const CHANNEL = 'invalidate';

/**
 * The cache. One per process (or per upstream), shared by the server middleware, the client
 * wrapper, or a gateway.
 *
 * @example
 * const stores = await connectRedisStores({ prefix: 'app:' });
 * const cache = new McpCache({ redis: stores.connection, tools: { weather: { ttlMs: 30_000, scope: 'shared' } } });
 * await cache.ready;
 * const result = await cache.fetch({ method: 'tools/call', params, identity }, () => upstream.callTool(params));
 */
export class McpCache {
  /** This instance on the bus (its own invalidations come back to it and are skipped). */
  readonly instanceId = randomBytes(6).toString('hex');
  /** Resolves once invalidations from other nodes are received (the bus subscription is in place). */
  readonly ready: Promise<void>;
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
  private readonly base: ResolvedPolicy;
  private readonly resourcePolicy: ResolvedPolicy | undefined;
  private readonly toolPolicies = new Map<string, ResolvedPolicy>();
  /** Annotations last seen per opted-in tool: only read-only + idempotent ones are cached. */
  private readonly annotations = new Map<string, ToolAnnotations | undefined>();
  private readonly l1: LRUCache<string, L1Entry>;
  private readonly groups: Record<CacheClass, Map<string, Set<string>>> = { tools: new Map(), resources: new Map() };
  private readonly flights = new Map<string, Flight>();
  private readonly l2: RedisL2 | undefined;
  private readonly bus: MessageBus | undefined;
  private readonly ownsBus: boolean;
  private readonly channel: string;
  private unsubscribe: (() => Promise<void>) | undefined;
  /** Bumped by every invalidation: a load that began before one does not fill L1. */
  private generation = 0;
  private readonly counts = { l1Hits: 0, l2Hits: 0, misses: 0, coalesced: 0, bypassed: 0, stores: 0, uncacheable: 0, evictions: 0, invalidations: 0, errors: 0 };
  private closed = false;

  constructor(private readonly options: McpCacheOptions = {}) {
    const o = options;
    this.maxEntries = Math.floor(positive('maxEntries', o.maxEntries, CACHE_DEFAULTS.maxEntries));
    this.maxBytes = Math.floor(positive('maxBytes', o.maxBytes, CACHE_DEFAULTS.maxBytes));
    this.maxEntryBytes = Math.floor(positive('maxEntryBytes', o.maxEntryBytes, CACHE_DEFAULTS.maxEntryBytes));
    this.base = resolveBase(o);
    const r = o.resources ?? true;
    this.resourcePolicy = r === false ? undefined : resolvePolicy('resources', r, this.base);
    for (const [name, p] of Object.entries(o.tools ?? {})) this.toolPolicies.set(name, resolvePolicy(`tools.${name}`, p, this.base));
    this.l1 = new LRUCache<string, L1Entry>({
      max: this.maxEntries,
      maxSize: this.maxBytes,
      sizeCalculation: (v, k) => v.bytes + k.length,
      ttlAutopurge: false,
      // A clock of the caller's (tests) is read on every check, not once per millisecond.
      ...(o.clock ? { perf: o.clock, ttlResolution: 0 } : {}),
      dispose: (v, k, reason) => {
        if (reason === 'evict') this.counts.evictions++;
        const set = this.groups[v.cls].get(v.target);
        set?.delete(k);
        if (set?.size === 0) this.groups[v.cls].delete(v.target);
      },
    });
    const ns = o.namespace ?? CACHE_DEFAULTS.namespace;
    this.channel = `${ns}:${CHANNEL}`;
    const longest = Math.max(this.base.ttlMs, this.resourcePolicy?.ttlMs ?? 0, ...[...this.toolPolicies.values()].map((p) => p.ttlMs));
    this.l2 = o.redis ? new RedisL2(o.redis, ns, 2 * longest) : undefined;
    this.ownsBus = o.bus === undefined && o.redis !== undefined;
    this.bus = o.bus ?? (o.redis ? new RedisBus(o.redis) : undefined);
    this.ready = this.bus
      ? this.bus.subscribe(this.channel, (m) => this.onBus(m)).then((off) => {
          if (this.closed) void off();
          else this.unsubscribe = off;
        })
      : Promise.resolve();
    // Readiness is awaited by whoever needs it; an unhandled failure here must not crash.
    this.ready.catch((e: unknown) => this.report(e));
  }

  // ---------- tools ----------

  /** Whether `name` is opted in (whatever its annotations). */
  optsIn(name: string): boolean {
    return this.toolPolicies.has(name);
  }

  /** Names of the opted-in tools. */
  get toolNames(): string[] {
    return [...this.toolPolicies.keys()];
  }

  /**
   * Records an opted-in tool's annotations (its registration, or an upstream's `tools/list`).
   * `strict`: a tool that may not be cached throws an ErlmcpError naming it; otherwise it is just
   * not cached until its annotations allow it. `known` false: no such tool exists.
   */
  learnTool(name: string, annotations: ToolAnnotations | undefined, options: { strict?: boolean; known?: boolean } = {}): void {
    if (!this.toolPolicies.has(name)) return;
    const known = options.known ?? true;
    if (options.strict && (!known || !cacheableAnnotations(annotations))) throw refuseTool(name, annotations, known);
    this.annotations.set(name, known ? annotations : undefined);
  }

  // ---------- the lookup ----------

  /**
   * The result of `req`: from L1, from an identical request in flight, from L2, or by running
   * `load` (then stored when cacheable). Requests the cache does not cover run `load` directly.
   */
  fetch(req: CacheRequest, load: () => Promise<Result>): Promise<Result> {
    const plan = this.plan(req, false);
    if (plan === undefined) {
      this.counts.bypassed++;
      return load();
    }
    return this.fetchPlanned(req, plan, load);
  }

  private async fetchPlanned(req: CacheRequest, plan: Plan, load: () => Promise<Result>): Promise<Result> {
    for (const k of plan.candidates) {
      const e = this.l1.get(k.local);
      if (e !== undefined) {
        this.counts.l1Hits++;
        return e.result;
      }
    }
    const fk = plan.primary.local;
    const joined = this.flights.get(fk);
    if (joined !== undefined) {
      this.counts.coalesced++;
      let o: Outcome;
      try {
        o = await joined.promise;
      } catch (e) {
        // Its caller went away (cancelled, timed out): that is not this request's answer.
        if (joined.signal?.aborted && !req.signal?.aborted) return this.fetchPlanned(req, plan, load);
        throw e;
      }
      // Private to the caller that fetched it: this caller needs its own (2026-07-28 cacheScope).
      if (o.privateTo !== undefined && o.privateTo !== plan.identity) {
        const own = this.plan(req, true);
        return own === undefined ? load() : this.fetchPlanned(req, own, load);
      }
      return o.result;
    }
    const flight: Flight = { promise: this.run(plan, load), signal: req.signal, cls: plan.cls, target: plan.target };
    this.flights.set(fk, flight);
    const done = (): void => {
      if (this.flights.get(fk) === flight) this.flights.delete(fk);
    };
    flight.promise.then(done, done);
    return (await flight.promise).result;
  }

  private async run(plan: Plan, load: () => Promise<Result>): Promise<Outcome> {
    const generation = this.generation;
    let lookup: L2Lookup | undefined;
    if (this.l2?.available) {
      try {
        lookup = await this.l2.get(plan.cls, plan.target, plan.candidates.map((k) => k.local));
        for (let i = 0; i < lookup.slots.length; i++) {
          const slot = lookup.slots[i]!;
          if (slot.json === undefined || slot.ttlMs <= 0) continue;
          const result = shareResult(JSON.parse(slot.json) as Result);
          const key = plan.candidates[i]!;
          if (generation === this.generation) this.l1Put(key, result, Buffer.byteLength(slot.json), slot.ttlMs);
          this.counts.l2Hits++;
          return { result, privateTo: key === plan.primary ? undefined : plan.identity };
        }
      } catch (e) {
        this.report(e);
        lookup = undefined;
      }
    }
    this.counts.misses++;
    const result = await load();
    return { result, privateTo: this.store(plan, result, lookup, generation) };
  }

  /** Stores a fresh result where its scope says; returns the caller it is private to, if that matters. */
  private store(plan: Plan, result: Result, lookup: L2Lookup | undefined, generation: number): string | undefined {
    const r = result as Record<string, unknown>;
    let ttlMs = plan.ttlMs;
    // 2026-07-28 server/utilities/caching: ttlMs bounds freshness (0 or less: not cacheable);
    // interim input_required rounds and error results are never cached.
    const hinted = r.ttlMs;
    if (hinted !== undefined) ttlMs = typeof hinted === 'number' && hinted > 0 ? Math.min(ttlMs, hinted) : 0;
    if (ttlMs <= 0 || r.isError === true || (r.resultType !== undefined && r.resultType !== 'complete') || 'task' in r) {
      this.counts.uncacheable++;
      return undefined;
    }
    let json: string;
    try {
      json = JSON.stringify(result);
    } catch {
      this.counts.uncacheable++;
      return undefined;
    }
    const bytes = Buffer.byteLength(json);
    if (bytes > this.maxEntryBytes) {
      this.counts.uncacheable++;
      return undefined;
    }
    const isPrivate = r.cacheScope === 'private' && plan.primary !== plan.own;
    const key = isPrivate ? plan.own : plan.primary;
    // A copy of its own, frozen with its JSON: the handler may reuse or change the object it returned.
    if (generation === this.generation) this.l1Put(key, shareResult(JSON.parse(json) as Result), bytes, ttlMs);
    const slot = lookup?.slots[plan.candidates.indexOf(key)];
    if (slot !== undefined && this.l2 !== undefined) this.l2.set(slot.key, json, ttlMs).catch((e: unknown) => this.report(e));
    this.counts.stores++;
    return isPrivate ? plan.identity : undefined;
  }

  private l1Put(key: EntryKey, result: Readonly<Result>, bytes: number, ttlMs: number): void {
    this.l1.set(key.local, { result, bytes, cls: key.cls, target: key.target }, { ttl: ttlMs });
    // lru-cache refuses (without storing) an entry larger than maxBytes: index only what it kept.
    if (!this.l1.has(key.local)) return;
    const g = this.groups[key.cls];
    let set = g.get(key.target);
    if (set === undefined) g.set(key.target, (set = new Set()));
    set.add(key.local);
  }

  private plan(req: CacheRequest, ownOnly: boolean): Plan | undefined {
    const p = req.params ?? {};
    // Retries carrying inputResponses/requestState depend on inputs outside the key (caching §Cache Key).
    if (p.inputResponses !== undefined || p.requestState !== undefined) return undefined;
    let cls: CacheClass;
    let target: unknown;
    let policy: ResolvedPolicy | undefined;
    let argsJson = '';
    if (req.method === 'resources/read') {
      cls = 'resources';
      target = p.uri;
      policy = this.resourcePolicy;
    } else if (req.method === 'tools/call') {
      cls = 'tools';
      target = p.name;
      if (typeof target !== 'string' || p.task !== undefined || !cacheableAnnotations(this.annotations.get(target))) return undefined;
      policy = this.toolPolicies.get(target);
      try {
        argsJson = canonicalJson(p.arguments ?? {});
      } catch {
        return undefined;
      }
    } else return undefined;
    if (typeof target !== 'string' || policy === undefined) return undefined;
    const identity = req.identity ?? '';
    const own = entryKey(cls, target, identity, argsJson);
    if (policy.scope === 'caller' || ownOnly) return { cls, target, ttlMs: policy.ttlMs, identity, primary: own, own, candidates: [own] };
    const shared = entryKey(cls, target, undefined, argsJson);
    return { cls, target, ttlMs: policy.ttlMs, identity, primary: shared, own, candidates: [shared, own] };
  }

  // ---------- invalidation ----------

  /**
   * Applies a server notification: `notifications/resources/updated` drops that URI's entries,
   * `notifications/tools/list_changed` every tool entry, `notifications/resources/list_changed`
   * every resource entry — here, in L2, and (over the bus) on every other node.
   */
  handleNotification(method: string, params: Record<string, unknown> | undefined, options: { localOnly?: boolean } = {}): Promise<void> {
    let cls: CacheClass;
    let target: string | undefined;
    if (method === 'notifications/resources/updated' && typeof params?.uri === 'string') [cls, target] = ['resources', params.uri];
    else if (method === 'notifications/tools/list_changed') cls = 'tools';
    else if (method === 'notifications/resources/list_changed') cls = 'resources';
    else return Promise.resolve();
    if (!options.localOnly) return this.invalidate(cls, target);
    // Another node raised it and did the rest already (its transport relayed the event here).
    this.counts.invalidations++;
    this.dropLocal(cls, target);
    return Promise.resolve();
  }

  /** Drops one tool's or one URI's entries (`target`), or a whole class, on every node. */
  async invalidate(cls: CacheClass, target?: string): Promise<void> {
    this.counts.invalidations++;
    this.dropLocal(cls, target);
    // L2 first, then the bus: a node that drops its L1 on the message must not refill it from L2's old epoch.
    if (this.l2) await this.l2.invalidate(cls, target).catch((e: unknown) => this.report(e));
    if (this.bus) await this.bus.publish(this.channel, { from: this.instanceId, cls, target }).catch((e: unknown) => this.report(e));
  }

  private onBus(m: unknown): void {
    const msg = m as { from?: unknown; cls?: unknown; target?: unknown } | null;
    if (!msg || msg.from === this.instanceId || (msg.cls !== 'tools' && msg.cls !== 'resources')) return;
    this.counts.invalidations++;
    this.dropLocal(msg.cls, typeof msg.target === 'string' ? msg.target : undefined);
  }

  /** Drops L1 entries and forgets loads in flight (later callers must not join a stale load). */
  private dropLocal(cls: CacheClass, target: string | undefined): void {
    this.generation++;
    const g = this.groups[cls];
    const targets = target === undefined ? [...g.keys()] : [target];
    for (const t of targets) for (const k of [...(g.get(t) ?? [])]) this.l1.delete(k);
    for (const [k, f] of this.flights) if (f.cls === cls && (target === undefined || f.target === target)) this.flights.delete(k);
  }

  /** Empties L1 on this node only. */
  clear(): void {
    this.generation++;
    this.l1.clear();
    this.flights.clear();
  }

  stats(): CacheStats {
    const c = this.counts;
    return { ...c, hits: c.l1Hits + c.l2Hits, bytes: this.l1.calculatedSize, entries: this.l1.size };
  }

  /** Stops listening to the bus and empties L1 (the Redis connection stays the caller's). */
  async close(): Promise<void> {
    this.closed = true;
    this.clear();
    await this.unsubscribe?.();
    if (this.ownsBus) await this.bus?.close();
  }

  private report(e: unknown): void {
    this.counts.errors++;
    this.options.onerror?.(toError(e));
  }
}
