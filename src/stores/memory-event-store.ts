/**
 * Default EventStore: per-stream ring of recent events, bounded in count and age.
 * Event ids are `<streamId>#<seq>` so the stream is recoverable from the id alone.
 */
import type { JSONRPCMessage } from '../protocol/types.js';
import type { EventId, EventStore } from './types.js';

interface Stream {
  seq: number;
  events: { seq: number; at: number; message: JSONRPCMessage }[];
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

  constructor(options?: MemoryEventStoreOptions) {
    this.max = options?.maxEventsPerStream ?? 1000;
    this.ttlMs = options?.ttlMs ?? 5 * 60_000;
  }

  async append(streamId: string, message: JSONRPCMessage): Promise<EventId> {
    let s = this.streams.get(streamId);
    if (!s) {
      s = { seq: 0, events: [] };
      this.streams.set(streamId, s);
    }
    const seq = ++s.seq;
    s.events.push({ seq, at: Date.now(), message });
    if (s.events.length > this.max) s.events.shift();
    return `${streamId}#${seq}`;
  }

  async replayAfter(lastEventId: EventId, send: (eventId: EventId, message: JSONRPCMessage) => void | Promise<void>): Promise<string | undefined> {
    const hash = lastEventId.lastIndexOf('#');
    if (hash < 0) return undefined;
    const streamId = lastEventId.slice(0, hash);
    const after = Number(lastEventId.slice(hash + 1));
    const s = this.streams.get(streamId);
    if (!s || !Number.isInteger(after)) return undefined;
    const oldest = Date.now() - this.ttlMs;
    for (const e of s.events) {
      if (e.seq > after && e.at >= oldest) await send(`${streamId}#${e.seq}`, e.message);
    }
    return streamId;
  }

  async deleteSession(sessionId: string): Promise<void> {
    const prefix = `${sessionId}/`;
    for (const id of this.streams.keys()) if (id.startsWith(prefix)) this.streams.delete(id);
  }

  async close(): Promise<void> {
    this.streams.clear();
  }
}
