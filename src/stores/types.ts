/**
 * Scale-out seams. Everything a session needs to be served by *any* node lives behind these
 * interfaces (sessions, SSE events, the message bus, tasks); memory implementations are the default, Redis ones plug in unchanged.
 * Optional members are capabilities a backend may have (health probes, following a stream,
 * a node directory); callers test for them, never for a concrete class.
 * See docs/architecture.md#scale-out.
 */
import type { ClientCapabilities, Implementation, JSONRPCErrorObject, JSONRPCMessage, LoggingLevel, Result, Task, TaskStatus } from '../protocol/types.js';

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

/** Health of a store behind the network (Redis). A store without these is always available. */
export interface StoreProbe {
  /** False while the backend is unreachable; read without I/O (the HTTP server's 503 guard). */
  readonly available?: boolean;
  /** One round trip to the backend (readiness probes). */
  ping?(): Promise<void>;
}

export interface SessionStore extends StoreProbe {
  get(id: string): Promise<SessionState | undefined>;
  /** Creates or replaces; refreshes the idle TTL. */
  set(state: SessionState, ttlMs: number): Promise<void>;
  /** Refreshes the idle TTL; false when the session is unknown or expired. */
  touch(id: string, ttlMs: number): Promise<boolean>;
  delete(id: string): Promise<void>;
  /**
   * Ids of the live sessions subscribed to `uri` (server/resources#subscriptions), on every
   * node. A store shared by nodes implements this and `initializedIds`: with both, a
   * server-wide notification reaches each session once, whichever node sends it.
   */
  subscriberIds?(uri: string): Promise<string[]>;
  /** Ids of every live, initialized session, on every node (list_changed notifications). */
  initializedIds?(): Promise<string[]>;
  close(): Promise<void>;
}

export type EventId = string;

export interface AppendOptions {
  /** `JSON.stringify(message)` when the caller has it already: the store need not serialise again, and its length sizes the event. */
  readonly json?: string;
  /**
   * The stream's last event (its request's final response), written to a connected client.
   * The caller deletes the stream once that write has finished (`deleteStream`); a store
   * without `deleteStream` may instead keep such a stream only briefly, at no extra cost.
   */
  readonly final?: boolean;
}

/**
 * Receives one stored event. A returned promise is awaited before the next event: that is
 * how a replay waits for a slow reader instead of buffering the whole backlog.
 */
export type EventSink = (eventId: EventId, message: JSONRPCMessage) => void | Promise<void>;

/** A live subscription to one stream (`EventStore.follow`). */
export interface StreamFollow {
  /** The stream existed (or the cursor is a fresh stream's start); false = unknown or expired. */
  readonly found: boolean;
  stop(): void;
}

/**
 * The SSE event log (basic/transports#resumability-and-redelivery). Event ids encode the
 * stream, so a `Last-Event-ID` received on any node replays exactly that stream.
 * Stream ids are `<sessionId>/<key>`, so a session's streams can be found and dropped together.
 * Appends to one stream MUST resolve in call order: the transport writes events as their ids
 * come back, and SSE order is message order.
 */
/** What an event store holds (`EventStore.stats`). */
export interface EventStoreStats {
  streams: number;
  events?: number;
  /** Serialised size (UTF-16 code units of the JSON text). */
  bytes?: number;
}

export interface EventStore extends StoreProbe {
  /**
   * Appends a message to a stream and returns its event id. `undefined` asks for a priming
   * cursor (SEP-1699): an id the client can resume from, meaning "everything after this
   * point". A store should answer it without I/O where it can (a fresh stream's start).
   */
  append(streamId: string, message: JSONRPCMessage | undefined, options?: AppendOptions): Promise<EventId>;
  /** The stream an event id belongs to, or undefined when the id is malformed. No I/O. */
  streamIdOf(eventId: EventId): string | undefined;
  /** Replays the stream's messages after `lastEventId`; returns that stream's id, or undefined if unknown/expired. */
  replayAfter(lastEventId: EventId, send: EventSink): Promise<string | undefined>;
  /** Forgets one stream at once: its final event reached the client, nobody will resume it. */
  deleteStream?(streamId: string): Promise<void>;
  /** Forgets every stream of a session (on DELETE or expiry). */
  deleteSession?(sessionId: string): Promise<void>;
  /**
   * How much the store holds, for metrics: streams, and events and serialised size where the
   * store knows them without reading every stream. Shared stores (Redis) count every node's.
   */
  stats?(): Promise<EventStoreStats>;
  /**
   * Replays the stream after `afterEventId`, then delivers, in order and exactly once, every
   * event *any node* appends to it until `stop()`. `replayed` marks stored events read back
   * (their sink's promise is awaited); live ones arrive as they are appended. With it, the node
   * holding a client's SSE connection is not the only one that can write to it.
   */
  follow?(streamId: string, afterEventId: EventId, onEvent: (eventId: EventId, message: JSONRPCMessage, replayed: boolean) => void | Promise<void>): Promise<StreamFollow>;
  close(): Promise<void>;
}

/** Which nodes are alive: lets a node answer for requests a dead node was running. */
export interface NodeDirectory {
  readonly nodeId: string;
  /** Heartbeat period; a node is dead a few periods after its last beat. */
  readonly heartbeatMs: number;
  isNodeAlive(nodeId: string): Promise<boolean>;
}

/**
 * Routes a message to whichever node holds the target: a stream's writer, a pending
 * server→client request's waiter. Channels are opaque strings (e.g. `s:<session>:responses`).
 * A bus spanning nodes (Redis) is also their directory (`NodeDirectory`'s members).
 */
export interface MessageBus extends StoreProbe, Partial<NodeDirectory> {
  /**
   * Resolves once the bus took the message — with how many subscribers received it, where the
   * bus can tell (Redis: PUBLISH's count). Zero tells a node that nobody was listening.
   */
  publish(channel: string, message: unknown): Promise<number | void>;
  /** Returns an unsubscribe function. */
  subscribe(channel: string, handler: (message: unknown) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export type TaskOutcome = { result: Result } | { error: JSONRPCErrorObject };

/**
 * Task outcomes (basic/utilities/tasks, 2025-11-25 experimental). Tasks are bound to the session
 * that created them (`owner`); a store shared by nodes lets any node poll, await, list and
 * cancel a task another node runs.
 */
export interface TaskStore {
  create(owner: string, ttlMs: number | null, pollIntervalMs: number | undefined): Promise<Task>;
  get(owner: string, taskId: string): Promise<Task | undefined>;
  list(owner: string): Promise<Task[]>;
  /** Moves a non-terminal task to a new status; terminal tasks never change (returns undefined). */
  setStatus(taskId: string, status: TaskStatus, statusMessage?: string, outcome?: TaskOutcome): Promise<Task | undefined>;
  /** Resolves once the task is terminal, with its outcome (undefined when it expired or was cancelled). */
  waitForOutcome(owner: string, taskId: string, signal?: AbortSignal): Promise<{ task: Task; outcome: TaskOutcome | undefined } | undefined>;
  /**
   * Calls `onCancel` when any node sets the task to `cancelled` (a store shared by nodes); the
   * node running the task aborts its handler. Returns the function that stops watching.
   */
  watchCancel?(taskId: string, onCancel: () => void): () => void;
  close(): Promise<void>;
}

/** Terminal task statuses (basic/utilities/tasks#task-status-lifecycle) never change again. */
export const isTerminal = (s: TaskStatus): boolean => s === 'completed' || s === 'failed' || s === 'cancelled';
