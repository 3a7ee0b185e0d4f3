/**
 * A named, ordered collection of registered primitives with enable/disable/remove, a cached
 * wire listing (so a list request costs one array slice, not a rebuild), and a change signal that
 * drives the list_changed notifications.
 */
export interface Listed<W> {
  enabled: boolean;
  wire(): W;
}

export class Registry<K, E extends Listed<W>, W> {
  private readonly map = new Map<K, E>();
  private cache: W[] | undefined;
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
    this.version++;
    this.onchange();
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
