/**
 * MessageBus on Redis pub/sub: channel `<prefix>b:<channel>`, JSON payloads, all of a node's
 * subscriptions on its one subscriber connection. Also the node directory: this node's id and
 * whether another node is alive (heartbeat key with a TTL, see RedisConnection).
 *
 * Trade-off (docs/deployment.md#failure-behaviour): pub/sub is at-most-once. A message
 * published while the receiving node's subscriber connection is down is lost. On this bus that
 * means a client's reply to a sampling/elicitation request that lands on another node in that
 * window reaches nobody; PUBLISH's receiver count of 0 tells the receiving node so, and it
 * answers the client's POST with 503 instead of acknowledging a reply it could not deliver. SSE events do not depend on it:
 * they are stored in Redis Streams and followers re-read them after a reconnect.
 */
import type { MessageBus } from '../types.js';
import type { RedisConnection } from './connection.js';

export class RedisBus implements MessageBus {
  private readonly removers = new Set<() => void>();

  constructor(private readonly conn: RedisConnection) {}

  get nodeId(): string {
    return this.conn.nodeId;
  }

  get heartbeatMs(): number {
    return this.conn.heartbeatMs;
  }

  /** False while Redis is unreachable (no I/O). */
  get available(): boolean {
    return this.conn.available;
  }

  ping(): Promise<void> {
    return this.conn.ping();
  }

  isNodeAlive(nodeId: string): Promise<boolean> {
    return this.conn.isNodeAlive(nodeId);
  }

  private channel(name: string): string {
    return this.conn.key(`b:${name}`);
  }

  /** Resolves with the number of subscriber connections (nodes) that received it. */
  publish(channel: string, message: unknown): Promise<number> {
    return this.conn.cmd.publish(this.channel(channel), JSON.stringify(message));
  }

  async subscribe(channel: string, handler: (message: unknown) => void): Promise<() => Promise<void>> {
    const remove = await this.conn.subscribe(this.channel(channel), (raw) => {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        return;
      }
      handler(value);
    });
    this.removers.add(remove);
    return async () => {
      this.removers.delete(remove);
      remove();
    };
  }

  async close(): Promise<void> {
    for (const r of this.removers) r();
    this.removers.clear();
  }
}
