/**
 * The client's cache of cacheable 2026-07-28 results (server/utilities/caching, SEP-2549):
 * fresh while `now < received + ttlMs` (absent or negative ttlMs = 0, i.e. not cached), keyed by
 * method and the params that shape the result (`uri`, `cursor`), dropped by the matching
 * `list_changed` / `resources/updated` notification. One cache per Client, so `private` results
 * are never shared beyond the authorization context that fetched them.
 */

/** Methods whose complete results carry ttlMs/cacheScope. */
export const CACHEABLE_METHODS = new Set(['server/discover', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read']);

/** Which cached methods each notification invalidates. */
const INVALIDATES: Record<string, string[]> = {
  'notifications/tools/list_changed': ['tools/list'],
  'notifications/prompts/list_changed': ['prompts/list'],
  'notifications/resources/list_changed': ['resources/list', 'resources/templates/list'],
};

interface Entry {
  result: Record<string, unknown>;
  expires: number;
}

export class ResultCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  static key(method: string, params: Record<string, unknown> | undefined): string {
    return JSON.stringify([method, params?.uri ?? null, params?.cursor ?? null]);
  }

  get(method: string, params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
    const k = ResultCache.key(method, params);
    const e = this.entries.get(k);
    if (!e) return undefined;
    if (this.now() < e.expires) return e.result;
    this.entries.delete(k);
    return undefined;
  }

  /** Stores a complete result when its ttlMs makes it fresh for a while. */
  put(method: string, params: Record<string, unknown> | undefined, result: Record<string, unknown>): void {
    const ttl = typeof result.ttlMs === 'number' && Number.isFinite(result.ttlMs) ? result.ttlMs : 0;
    if (ttl <= 0) return;
    this.entries.set(ResultCache.key(method, params), { result, expires: this.now() + ttl });
  }

  /** Applies a server notification: list_changed drops the lists, resources/updated that resource. */
  invalidate(notification: string, params?: Record<string, unknown>): void {
    if (notification === 'notifications/resources/updated') {
      this.entries.delete(ResultCache.key('resources/read', { uri: params?.uri }));
      return;
    }
    const methods = INVALIDATES[notification];
    if (!methods) return;
    for (const k of [...this.entries.keys()]) {
      const m = (JSON.parse(k) as string[])[0]!;
      if (methods.includes(m)) this.entries.delete(k);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
