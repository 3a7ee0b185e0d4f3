/**
 * The in-process level (L1): an LRU (lru-cache) bounded by entries and by bytes — each entry
 * weighs its encoded (JSON) size plus its key — with a TTL per entry, and an index by class and
 * group (a tool, a URI) so one invalidation drops exactly its entries without a scan.
 */
import { LRUCache } from 'lru-cache';
import type { Result } from '../../protocol/types.js';
import type { CacheClass, EntryKey } from './key.js';

interface Entry {
  readonly result: Readonly<Result>;
  readonly bytes: number;
  readonly cls: CacheClass;
  readonly target: string;
}

export interface L1Options {
  maxEntries: number;
  maxBytes: number;
  clock: { now(): number } | undefined;
  /** An entry was pushed out by a bound (not by expiry, invalidation or replacement). */
  onEvict: () => void;
}

export class L1 {
  private readonly lru: LRUCache<string, Entry>;
  private readonly groups: Record<CacheClass, Map<string, Set<string>>> = { tools: new Map(), resources: new Map() };

  constructor(o: L1Options) {
    this.lru = new LRUCache<string, Entry>({
      max: o.maxEntries,
      maxSize: o.maxBytes,
      sizeCalculation: (v, k) => v.bytes + k.length,
      // A clock of the caller's (tests) is read on every check, not once per millisecond.
      ...(o.clock ? { perf: o.clock, ttlResolution: 0 } : {}),
      dispose: (v, k, reason) => {
        if (reason === 'evict') o.onEvict();
        const set = this.groups[v.cls].get(v.target);
        set?.delete(k);
        if (set?.size === 0) this.groups[v.cls].delete(v.target);
      },
    });
  }

  get(local: string): Readonly<Result> | undefined {
    return this.lru.get(local)?.result;
  }

  put(key: EntryKey, result: Readonly<Result>, bytes: number, ttlMs: number): void {
    this.lru.set(key.local, { result, bytes, cls: key.cls, target: key.target }, { ttl: ttlMs });
    // lru-cache refuses (without storing) an entry larger than maxBytes: index only what it kept.
    if (!this.lru.has(key.local)) return;
    const g = this.groups[key.cls];
    let set = g.get(key.target);
    if (set === undefined) g.set(key.target, (set = new Set()));
    set.add(key.local);
  }

  /** Drops one group's entries, or the whole class's when `target` is undefined. */
  drop(cls: CacheClass, target: string | undefined): void {
    const g = this.groups[cls];
    const targets = target === undefined ? [...g.keys()] : [target];
    for (const t of targets) for (const k of [...(g.get(t) ?? [])]) this.lru.delete(k);
  }

  clear(): void {
    this.lru.clear();
  }

  get entries(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }
}
