/**
 * Scale-out seams. Everything a session needs to be served by *any* node lives behind these
 * three interfaces; memory implementations are the default, Redis ones plug in unchanged.
 * See docs/architecture.md#scale-out.
 */
import type { ClientCapabilities, Implementation, JSONRPCMessage, LoggingLevel } from '../protocol/types.js';

/** The durable part of a server session: small, serialisable, enough to rebuild it anywhere. */
export interface SessionState {
  id: string;
  protocolVersion: string;
  clientCapabilities: ClientCapabilities;
  clientInfo: Implementation | undefined;
  initialized: boolean;
  logLevel: LoggingLevel | undefined;
  subscriptions: string[];
  createdAt: number;
}

export interface SessionStore {
  get(id: string): Promise<SessionState | undefined>;
  /** Creates or replaces; refreshes the idle TTL. */
  set(state: SessionState, ttlMs: number): Promise<void>;
  /** Refreshes the idle TTL; false when the session is unknown or expired. */
  touch(id: string, ttlMs: number): Promise<boolean>;
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}

export type EventId = string;

/**
 * The SSE event log (basic/transports#resumability-and-redelivery). Event ids encode the
 * stream, so a `Last-Event-ID` received on any node replays exactly that stream.
 * Stream ids are `<sessionId>/<key>`, so a session's streams can be found and dropped together.
 * Appends to one stream MUST resolve in call order: the transport writes events as their ids
 * come back, and SSE order is message order.
 */
export interface EventStore {
  /**
   * Appends a message to a stream and returns its event id. `undefined` appends a priming
   * marker: it takes an id (the client's first resumption cursor) but is never replayed.
   */
  append(streamId: string, message: JSONRPCMessage | undefined): Promise<EventId>;
  /** The stream an event id belongs to, or undefined when the id is malformed. No I/O. */
  streamIdOf(eventId: EventId): string | undefined;
  /** Replays the stream's messages after `lastEventId`; returns that stream's id, or undefined if unknown/expired. */
  replayAfter(lastEventId: EventId, send: (eventId: EventId, message: JSONRPCMessage) => void | Promise<void>): Promise<string | undefined>;
  /** Forgets every stream of a session (on DELETE or expiry). */
  deleteSession?(sessionId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Routes a message to whichever node holds the target: a stream's writer, a pending
 * server→client request's waiter. Channels are opaque strings (e.g. `s:<session>:responses`).
 */
export interface MessageBus {
  publish(channel: string, message: unknown): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(channel: string, handler: (message: unknown) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
