/**
 * A named, ordered collection of registered primitives with enable/disable/remove, a cached
 * wire listing, cached list *results* per page (shared, pre-serialised: a list request costs a
 * map lookup, not a rebuild or a JSON.stringify), and a change signal that drives the
 * list_changed notifications.
 */
import { shareResult } from '../../protocol/encode.js';
import type { Result } from '../../protocol/types.js';
import { page } from '../pagination.js';
import type { Registered } from '../options.js';

export interface Listed<W> {
  enabled: boolean;
  wire(): W;
}

export class Registry<K, E extends Listed<W>, W> {
  private readonly map = new Map<K, E>();
  private cache: W[] | undefined;
  /** List results by request cursor (undefined = first page); only valid cursors get here. */
  private pages: Map<string | undefined, Readonly<Result>> | undefined;
  /** Bumped on every change; part of pagination cursors. */
  version = 0;

  constructor(
    private readonly kind: string,
    private readonly onchange: () => void,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): E | undefined {
    const e = this.map.get(key);
    return e?.enabled ? e : undefined;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  values(): IterableIterator<E> {
    return this.map.values();
  }

  add(key: K, entry: E): void {
    if (this.map.has(key)) throw new TypeError(`${this.kind} "${String(key)}" is already registered`);
    this.map.set(key, entry);
    this.changed();
  }

  /** Adds `entry` and returns the handle that enables, disables or removes it at runtime. */
  register(key: K & string, entry: E): Registered {
    this.add(key, entry);
    const toggle = (enabled: boolean) => (): void => {
      if (entry.enabled === enabled) return;
      entry.enabled = enabled;
      this.changed();
    };
    return { name: key, enable: toggle(true), disable: toggle(false), remove: () => void this.remove(key) };
  }

  remove(key: K): boolean {
    const had = this.map.delete(key);
    if (had) this.changed();
    return had;
  }

  rekey(from: K, to: K): void {
    const e = this.map.get(from);
    if (!e || from === to) return;
    if (this.map.has(to)) throw new TypeError(`${this.kind} "${String(to)}" is already registered`);
    this.map.delete(from);
    this.map.set(to, e);
  }

  /** Call after mutating an entry in place (enable/disable/update). */
  changed(): void {
    this.cache = undefined;
    this.pages = undefined;
    this.version++;
    this.onchange();
  }

  /**
   * The `<field>/list` result for `cursor` (server/utilities/pagination), built once per
   * registry version and shared by every session; a stale or foreign cursor throws -32602.
   */
  listResult(field: string, cursor: unknown, pageSize: number): Readonly<Result> {
    const cacheable = cursor === undefined || typeof cursor === 'string';
    let r = cacheable ? this.pages?.get(cursor) : undefined;
    if (r) return r;
    const { items, nextCursor } = page(this.list(), cursor, pageSize, this.version);
    r = shareResult(nextCursor === undefined ? { [field]: items } : { [field]: items, nextCursor });
    if (cacheable) (this.pages ??= new Map()).set(cursor, r);
    return r;
  }

  list(): readonly W[] {
    if (!this.cache) {
      const out: W[] = [];
      for (const e of this.map.values()) if (e.enabled) out.push(e.wire());
      this.cache = out;
    }
    return this.cache;
  }
}
