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
 */
export interface EventStore {
  /** Appends a message to a stream and returns its event id. */
  append(streamId: string, message: JSONRPCMessage): Promise<EventId>;
  /** Replays the stream's events after `lastEventId`; returns that stream's id, or undefined if unknown/expired. */
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
