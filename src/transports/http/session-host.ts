/**
 * What every HTTP session transport shares with the StreamableHttpServer that owns it: the
 * stores, the node's identity and the SSE settings. One object per server, not per session.
 */
import type { JSONRPCNotification, RequestId } from '../../protocol/types.js';
import type { EventStore, MessageBus } from '../../stores/types.js';
import type { HttpSessionTransport } from './session-transport.js';
import type { SseWriterOptions } from './sse-writer.js';

/** What a session transport may ask of the session it carries: nothing more. */
export interface BoundSession {
  /** Whether this copy of the session waits for a reply with this id. */
  hasPending(id: RequestId): boolean;
  /** Ends the session (and with it the transport). */
  close(): Promise<void>;
}

export interface SessionHost {
  readonly eventStore: EventStore;
  readonly bus: MessageBus;
  readonly retryMs: number;
  readonly enableJsonResponse: boolean;
  /** This node's id (the bus's when it is a node directory): POST stream keys carry it. */
  readonly nodeId: string;
  /** Backpressure limits of every SSE response. */
  readonly sse: SseWriterOptions;
  /** A fresh key for a POST stream, unique across nodes (it carries the node's random id). */
  nextStreamKey(requestIds: readonly RequestId[]): string;
  /** Hands a client's cancellation of a request not running here to the other nodes. */
  forwardCancel(sessionId: string, notification: JSONRPCNotification): void;
  /** The transport closed: forget it. */
  detach(transport: HttpSessionTransport): void;
  /** A store write of this session still in flight: responses wait for it, so the next request finds the state on any node. */
  pendingWrite(sessionId: string): Promise<void> | undefined;
  reportError(error: Error): void;
  /** A POST stream ended normally: its events stay resumable for a short grace (finished-streams.ts). */
  streamFinished(streamId: string): void;
}

/** SEP-1699 priming and server-initiated close arrived in 2025-11-25; older clients choke on empty data. */
export const PRIMING_MIN_VERSION = '2025-11-25';

/** Bus channel on which a client's reply to a server→client request reaches the node waiting for it. */
export function responseChannel(sessionId: string): string {
  return `erlmcp:s:${sessionId}:rsp`;
}
