/**
 * Serving one request of the modern era (2026-07-28): the envelope in `_meta` says who is
 * asking (version, capabilities, client info, log level) for this request only — nothing is
 * inferred from earlier requests (basic/index §Statelessness). The handler table is the legacy
 * one minus what the revision removed, plus `server/discover`; results are stamped with
 * `resultType`, cache hints and the server's identity; asks for client input become
 * InputRequiredResult rounds (input-required.ts).
 */
import type { RequestContext } from '../../engine/context.js';
import { ErrorCode, McpError } from '../../protocol/errors.js';
import { envelopeVersion, isSupportedModernVersion, META, MODERN_PROTOCOL_VERSIONS, unsupportedVersion } from '../../protocol/eras.js';
import type { ClientCapabilities, Implementation, LoggingLevel, Result } from '../../protocol/types.js';
import type { RequestHandler } from '../handlers.js';
import { REQUEST_HANDLERS } from '../handlers.js';
import { targetOf } from '../middleware.js';
import type { ServerSession } from '../session.js';
import { listen } from './listen.js';
import { modernTaskHandlers, TASKS_EXTENSION } from './tasks.js';
import { type InputAsker, InputRequiredSignal, InputRounds, MRTR_METHODS, mrtrNotAllowed } from './input-required.js';

/** What one modern request declared about its client. */
export interface Envelope {
  readonly version: string;
  readonly capabilities: ClientCapabilities;
  readonly clientInfo: Implementation | undefined;
  /** Absent: the server sends no notifications/message for this request. */
  readonly logLevel: LoggingLevel | undefined;
}

/** Per-request state of a modern request: its envelope and where its asks for input go. */
export interface ModernRequest {
  readonly envelope: Envelope;
  /** This request's MRTR rounds; for a task's handler, the task's pending inputs. */
  readonly rounds: InputAsker;
}

/** Reads and checks the envelope (-32602 when malformed, -32022 for a version we do not serve). */
export function readEnvelope(params: Record<string, unknown> | undefined): Envelope {
  const version = envelopeVersion(params);
  if (!isSupportedModernVersion(version)) throw unsupportedVersion(version);
  const m = params!._meta as Record<string, unknown>;
  const info = m[META.clientInfo];
  return {
    version,
    capabilities: m[META.clientCapabilities] as ClientCapabilities,
    clientInfo: typeof info === 'object' && info !== null ? (info as Implementation) : undefined,
    logLevel: m[META.logLevel] as LoggingLevel | undefined,
  };
}

/** Legacy methods the revision removed: a modern request for them is -32601 (404 on HTTP). */
const REMOVED = new Set(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe', 'tasks/result', 'tasks/list']);

/** Results clients may cache (server/utilities/caching). */
const CACHEABLE = new Set(['server/discover', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read']);

const discover: RequestHandler = (session) => {
  const server = session.server;
  // The modern wire has no legacy tasks capability (tasks became an extension).
  const { tasks: _tasks, ...capabilities } = server.capabilities() as Record<string, unknown>;
  // ...and the extension instead (SEP-2663), beside any extensions the app declared.
  capabilities.extensions = { ...(capabilities.extensions as Record<string, unknown> | undefined), [TASKS_EXTENSION]: {} };
  const result: Result = { supportedVersions: [...MODERN_PROTOCOL_VERSIONS], capabilities };
  if (server.options.instructions !== undefined) result.instructions = server.options.instructions;
  return result;
};

export function modernHandler(method: string): RequestHandler | undefined {
  if (method === 'server/discover') return discover;
  if (method === 'subscriptions/listen') return listen;
  if (REMOVED.has(method)) return undefined;
  const task = modernTaskHandlers[method];
  if (task) return task;
  return REQUEST_HANDLERS[method];
}

/** Runs a modern request's handler and answers in the modern shape. */
export async function runModern(session: ServerSession, method: string, params: Record<string, unknown>, ctx: RequestContext, run: () => Result | Promise<Result>): Promise<Result> {
  const envelope = readEnvelope(params);
  const server = session.server;
  // What a requestState is bound to: built only when a state is read or written (rare).
  const binding = (): string => `${method}\u0000${targetOf(method, params) ?? ''}`;
  const prior = params.requestState === undefined ? NO_STATE : server.requestStates.decode(params.requestState, binding());
  const rounds = new InputRounds(prior, params.inputResponses, envelope.capabilities);
  session.beginModern(ctx, { envelope, rounds });
  try {
    const result = await run();
    return stamp(session, method, result);
  } catch (e) {
    if (e instanceof InputRequiredSignal || rounds.pending) {
      if (!rounds.pending) throw e;
      if (!MRTR_METHODS.has(method)) throw mrtrNotAllowed(method);
      const inputRequests: Record<string, unknown> = {};
      for (const [k, a] of Object.entries(rounds.asks)) inputRequests[k] = Object.keys(a.params).length ? { method: a.method, params: a.params } : { method: a.method };
      return { resultType: 'input_required', inputRequests, requestState: server.requestStates.encode(binding(), rounds.carried()) };
    }
    // Resource not found is -32602 with data.uri on the modern wire (server/resources); -32002 is legacy only.
    if (e instanceof McpError && e.code === ErrorCode.ResourceNotFound) throw new McpError(ErrorCode.InvalidParams, e.message, e.data ?? { uri: params.uri });
    throw e;
  } finally {
    session.endModern(ctx);
  }
}

const NO_STATE: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** Per server, the `_meta` of a result that has none of its own: built once, shared (it is only serialised). */
const identities = new WeakMap<object, Record<string, unknown>>();

/** resultType on every result; cache hints on cacheable ones; the server's identity in `_meta`. */
function stamp(session: ServerSession, method: string, result: Result): Result {
  const server = session.server;
  const own = result._meta as Record<string, unknown> | undefined;
  let meta: Record<string, unknown>;
  if (own === undefined) {
    let shared = identities.get(server);
    if (shared === undefined) identities.set(server, (shared = { [META.serverInfo]: server.info }));
    meta = shared;
  } else {
    meta = Object.assign({}, own);
    meta[META.serverInfo] = server.info;
  }
  // A handler may name another result type (a task, SEP-2663); otherwise the result is complete.
  // Object.assign, then the keys: on Node 20's V8 a spread followed by more literal keys
  // (`{ ...result, resultType, _meta }`) takes a slow path, ≈6 µs per result against ≈0.2 µs.
  const out: Result = Object.assign({}, result);
  out.resultType = (result.resultType as string | undefined) ?? 'complete';
  out._meta = meta;
  if (CACHEABLE.has(method)) {
    out.ttlMs = server.cacheHints.ttlMs;
    out.cacheScope = server.cacheHints.scope;
  }
  return out;
}
