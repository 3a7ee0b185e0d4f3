/**
 * SessionStore on Redis: one JSON string per session under `<prefix>s:<id>`, with the idle TTL
 * as a PEXPIRE — Redis itself expires idle sessions, no sweeper. Every call is one command.
 */
import type { SessionState, SessionStore } from '../types.js';
import type { RedisConnection } from './connection.js';

export class RedisSessionStore implements SessionStore {
  constructor(private readonly conn: RedisConnection) {}

  private key(id: string): string {
    return this.conn.key(`s:${id}`);
  }

  /** False while Redis is unreachable (no I/O). */
  get available(): boolean {
    return this.conn.available;
  }

  ping(): Promise<void> {
    return this.conn.ping();
  }

  async get(id: string): Promise<SessionState | undefined> {
    const raw = await this.conn.cmd.get(this.key(id));
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as SessionState;
    } catch {
      return undefined; // not ours: treat as absent rather than failing every request of it
    }
  }

  async set(state: SessionState, ttlMs: number): Promise<void> {
    await this.conn.cmd.set(this.key(state.id), JSON.stringify(state), 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async touch(id: string, ttlMs: number): Promise<boolean> {
    return (await this.conn.cmd.pexpire(this.key(id), Math.max(1, Math.ceil(ttlMs)))) === 1;
  }

  async delete(id: string): Promise<void> {
    await this.conn.cmd.del(this.key(id));
  }

  /** The connection belongs to whoever created it (see `connectRedisStores`). */
  async close(): Promise<void> {}
}
