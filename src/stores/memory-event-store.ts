/**
 * Default EventStore: per-stream ring of recent events, bounded in count, bytes and age.
 * Event ids are `<streamId>#<seq>` so the stream is recoverable from the id alone
 * (basic/transports#resumability-and-redelivery: ids SHOULD identify the originating stream).
 *
 * Priming costs nothing: a cursor is just a sequence number (`#0` = the stream's start), so
 * `append(id, undefined)` stores no marker, and a POST answered at once leaves no trace once
 * its stream is deleted (`deleteStream`).
 */
import type { JSONRPCMessage } from '../protocol/types.js';
import type { AppendOptions, EventId, EventSink, EventStore, EventStoreStats } from './types.js';

interface StoredEvent {
  seq: number;
  at: number;
  /** Serialised size (UTF-16 code units of the JSON text), counted against the byte budget. */
  size: number;
  message: JSONRPCMessage;
}

interface Stream {
  seq: number;
  lastAt: number;
  bytes: number;
  events: StoredEvent[];
}

export interface MemoryEventStoreOptions {
  /** Events kept per stream (oldest dropped first). Default 1000. */
  maxEventsPerStream?: number;
  /** Serialised bytes kept per stream (oldest dropped first; the newest event is always kept). Default 16 MiB. */
  maxBytesPerStream?: number;
  /** How long an event stays replayable, in ms. Default 5 minutes. */
  ttlMs?: number;
}

export class MemoryEventStore implements EventStore {
  private readonly streams = new Map<string, Stream>();
  private readonly max: number;
  private readonly maxBytes: number;
  private readonly ttlMs: number;
  private lastSweep = Date.now();

  constructor(options?: MemoryEventStoreOptions) {
    this.max = options?.maxEventsPerStream ?? 1000;
    this.maxBytes = options?.maxBytesPerStream ?? 16 * 1024 * 1024;
    this.ttlMs = options?.ttlMs ?? 5 * 60_000;
  }

  /** Number of streams currently held (for tests and metrics). */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Streams, events and serialised size held now (in this process). */
  async stats(): Promise<EventStoreStats> {
    let events = 0;
    let bytes = 0;
    for (const s of this.streams.values()) {
      events += s.events.length;
      bytes += s.bytes;
    }
    return { streams: this.streams.size, events, bytes };
  }

  /** Serialised bytes held by one stream (for tests and metrics). */
  streamBytes(streamId: string): number {
    return this.streams.get(streamId)?.bytes ?? 0;
  }

  async append(streamId: string, message: JSONRPCMessage | undefined, options?: AppendOptions): Promise<EventId> {
    let s = this.streams.get(streamId);
    // A cursor, not a marker: "after the current sequence number" (0 for a stream not yet written).
    if (message === undefined) return `${streamId}#${s ? s.seq : 0}`;
    const now = Date.now();
    // Streams abandoned mid-request are not deleted by anyone: an amortised sweep expires them.
    if (now - this.lastSweep > Math.min(this.ttlMs, 60_000)) this.sweep(now);
    if (!s) {
      s = { seq: 0, lastAt: now, bytes: 0, events: [] };
      this.streams.set(streamId, s);
    }
    const seq = ++s.seq;
    const size = (options?.json ?? JSON.stringify(message)).length;
    s.lastAt = now;
    s.bytes += size;
    s.events.push({ seq, at: now, size, message });
    while (s.events.length > 1 && (s.events.length > this.max || s.bytes > this.maxBytes)) s.bytes -= s.events.shift()!.size;
    return `${streamId}#${seq}`;
  }

  streamIdOf(eventId: EventId): string | undefined {
    const hash = eventId.lastIndexOf('#');
    if (hash <= 0) return undefined;
    const seq = eventId.slice(hash + 1);
    return /^\d+$/.test(seq) ? eventId.slice(0, hash) : undefined;
  }

  async replayAfter(lastEventId: EventId, send: EventSink): Promise<string | undefined> {
    const streamId = this.streamIdOf(lastEventId);
    if (streamId === undefined) return undefined;
    let after = Number(lastEventId.slice(streamId.length + 1));
    const s = this.streams.get(streamId);
    // A primed stream with no event yet is unknown here too: whoever runs its request resumes it live.
    if (!s) return undefined;
    // A cursor past the end belongs to an earlier stream of that id that expired: all of this one is new.
    if (after > s.seq) after = 0;
    const oldest = Date.now() - this.ttlMs;
    // Index loop, not for..of over a copy: events appended while `send` awaits are replayed too.
    // Shifts during an await move the window, so the position is found again by sequence number.
    for (let i = 0; i < s.events.length; i++) {
      const e = s.events[i]!;
      if (e.seq <= after || e.at < oldest) continue;
      after = e.seq;
      const pending = send(`${streamId}#${e.seq}`, e.message);
      if (pending) {
        await pending;
        i = s.events.findIndex((x) => x.seq === after);
      }
    }
    return streamId;
  }

  async deleteStream(streamId: string): Promise<void> {
    this.streams.delete(streamId);
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
