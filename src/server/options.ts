/**
 * The options and public types of a server definition (McpServer).
 */
import type { TaskStore } from '../stores/types.js';
import type { ServerLimits } from './limits.js';
import type { IsolationOptions } from './isolate/types.js';
import type { ServerCapabilities } from '../protocol/types.js';

export interface ServerOptions {
  instructions?: string;
  /** Merged over the capabilities derived from what is registered. */
  capabilities?: ServerCapabilities;
  /** Items per page on every list (server/utilities/pagination). Default 100. */
  pageSize?: number;
  /** Timeout for server→client requests (sampling, elicitation, roots). Default 60 s. */
  defaultTimeoutMs?: number;
  /**
   * Prefix of server→client request ids. Defaults to a random per-process value, so two nodes
   * serving one session never mint the same id and a reply always finds its waiter.
   */
  idPrefix?: string;
  taskStore?: TaskStore;
  defaultTaskTtlMs?: number;
  maxTaskTtlMs?: number;
  taskPollIntervalMs?: number;
  /** Limits enforced for every session of this server (docs/limits.md); each has a safe default. */
  limits?: ServerLimits;
  /**
   * Key signing `requestState` of multi-round-trip requests (2026-07-28). Default: the
   * `ERLMCP_REQUEST_STATE_SECRET` environment variable, else random per process — every node of
   * a deployment needs the same one, so a retry may land on any node (`erlmcp start --cluster`
   * hands its workers one).
   */
  requestStateSecret?: string | Buffer;
  /** Cache hints on cacheable 2026-07-28 results (server/utilities/caching). Default `{ ttlMs: 0, scope: 'private' }`. */
  cache?: { ttlMs?: number; scope?: 'public' | 'private' };
  /** The worker-thread pool of isolated tools (docs/isolation.md). */
  isolation?: IsolationOptions;
}

/**
 * Delivers server-wide notifications to sessions whose state several nodes share. A transport
 * server whose sessions span nodes adds one and marks its sessions `fannedOut`; each call then
 * reaches each such session once, however many nodes hold a copy of it (or none does).
 */
export interface NotificationFanout {
  /** server/resources#subscriptions: every session subscribed to `uri`, on any node. */
  resourceUpdated(uri: string): Promise<void>;
  /** `notifications/<kind>/list_changed` for each method, to every initialized session. */
  listChanged(methods: readonly string[]): Promise<void>;
}

/**
 * A server-wide notification as it happens on this process (`notifications/tools/list_changed`,
 * `notifications/resources/updated` with its uri…): 2026-07-28 `subscriptions/listen` streams
 * subscribe here.
 */
export type ServerEventListener = (method: string, params: Record<string, unknown> | undefined, remote: boolean) => void;

/** Handle returned by registration: change or remove the primitive at runtime. */
export interface Registered {
  readonly name: string;
  enable(): void;
  disable(): void;
  remove(): void;
}
