/**
 * Default EventStore: per-stream ring of recent events, bounded in count and age.
 * Event ids are `<streamId>#<seq>` so the stream is recoverable from the id alone
 * (basic/transports#resumability-and-redelivery: ids SHOULD identify the originating stream).
 */
import type { JSONRPCMessage } from '../protocol/types.js';
import type { EventId, EventStore } from './types.js';

interface StoredEvent {
  seq: number;
  at: number;
  /** undefined = priming marker: holds a cursor, never replayed. */
  message: JSONRPCMessage | undefined;
}

interface Stream {
  seq: number;
  lastAt: number;
  events: StoredEvent[];
}

export interface MemoryEventStoreOptions {
  /** Events kept per stream (oldest dropped first). Default 1000. */
  maxEventsPerStream?: number;
  /** How long an event stays replayable, in ms. Default 5 minutes. */
  ttlMs?: number;
}

export class MemoryEventStore implements EventStore {
  private readonly streams = new Map<string, Stream>();
  private readonly max: number;
  private readonly ttlMs: number;
  private lastSweep = Date.now();

  constructor(options?: MemoryEventStoreOptions) {
    this.max = options?.maxEventsPerStream ?? 1000;
    this.ttlMs = options?.ttlMs ?? 5 * 60_000;
  }

  /** Number of streams currently held (for tests and metrics). */
  get streamCount(): number {
    return this.streams.size;
  }

  async append(streamId: string, message: JSONRPCMessage | undefined): Promise<EventId> {
    const now = Date.now();
    // Every POST opens a stream; without an amortised sweep finished streams would pile up forever.
    if (now - this.lastSweep > Math.min(this.ttlMs, 60_000)) this.sweep(now);
    let s = this.streams.get(streamId);
    if (!s) {
      s = { seq: 0, lastAt: now, events: [] };
      this.streams.set(streamId, s);
    }
    const seq = ++s.seq;
    s.lastAt = now;
    s.events.push({ seq, at: now, message });
    if (s.events.length > this.max) s.events.shift();
    return `${streamId}#${seq}`;
  }

  streamIdOf(eventId: EventId): string | undefined {
    const hash = eventId.lastIndexOf('#');
    if (hash <= 0) return undefined;
    const seq = eventId.slice(hash + 1);
    return /^\d+$/.test(seq) ? eventId.slice(0, hash) : undefined;
  }

  async replayAfter(lastEventId: EventId, send: (eventId: EventId, message: JSONRPCMessage) => void | Promise<void>): Promise<string | undefined> {
    const streamId = this.streamIdOf(lastEventId);
    if (streamId === undefined) return undefined;
    const after = Number(lastEventId.slice(streamId.length + 1));
    const s = this.streams.get(streamId);
    if (!s) return undefined;
    const oldest = Date.now() - this.ttlMs;
    // Index loop, not for..of over a copy: events appended while `send` awaits are replayed too.
    for (let i = 0; i < s.events.length; i++) {
      const e = s.events[i]!;
      if (e.seq > after && e.at >= oldest && e.message !== undefined) await send(`${streamId}#${e.seq}`, e.message);
    }
    return streamId;
  }

  async deleteSession(sessionId: string): Promise<void> {
    const prefix = `${sessionId}/`;
    for (const id of this.streams.keys()) if (id.startsWith(prefix)) this.streams.delete(id);
  }

  /** Drops streams whose newest event is past the TTL. */
  sweep(now = Date.now()): void {
    this.lastSweep = now;
    const oldest = now - this.ttlMs;
    for (const [id, s] of this.streams) if (s.lastAt < oldest) this.streams.delete(id);
  }

  async close(): Promise<void> {
    this.streams.clear();
  }
}
