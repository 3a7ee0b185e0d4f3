/** Default SessionStore: a Map with idle expiry, swept lazily on access and by an unref'd timer. */
import type { SessionState, SessionStore } from './types.js';

interface Entry {
  state: SessionState;
  expiresAt: number;
}

export class MemorySessionStore implements SessionStore {
  private readonly map = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepIntervalMs = 30_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs);
    this.sweeper.unref();
  }

  /** Called with each id the sweeper expires, so the owner can drop live objects. */
  onexpire?: (id: string) => void;

  get size(): number {
    return this.map.size;
  }

  async get(id: string): Promise<SessionState | undefined> {
    const e = this.map.get(id);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      this.expire(id);
      return undefined;
    }
    return e.state;
  }

  async set(state: SessionState, ttlMs: number): Promise<void> {
    this.map.set(state.id, { state, expiresAt: Date.now() + ttlMs });
  }

  async touch(id: string, ttlMs: number): Promise<boolean> {
    const e = this.map.get(id);
    if (!e || e.expiresAt <= Date.now()) return false;
    e.expiresAt = Date.now() + ttlMs;
    return true;
  }

  async delete(id: string): Promise<void> {
    this.map.delete(id);
  }

  sweep(now = Date.now()): void {
    for (const [id, e] of this.map) if (e.expiresAt <= now) this.expire(id);
  }

  private expire(id: string): void {
    this.map.delete(id);
    this.onexpire?.(id);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.map.clear();
  }
}
