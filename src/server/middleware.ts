/**
 * The request seam: one middleware chain per server definition, composed once when `use()` is
 * called (never per session or per request), around the static handler table. A middleware sees
 * a `Call` — method, params, the caller as the carrier established it, the request's signal — and
 * can answer it, refuse it (throw an McpError: it becomes the JSON-RPC error), or wrap `next()`
 * (timing, caching, limits, tracing). Nothing here assumes a session: a call may arrive without
 * one (stateless HTTP today, the 2026-07-28 revision tomorrow), so `call.session` is optional.
 *
 * With no middleware installed the session calls the handler directly: the seam costs nothing.
 */
import type { AuthInfo, MessageExtra } from '../protocol/transport.js';
import type { ClientCapabilities, Implementation, Meta, RequestId, Result } from '../protocol/types.js';
import type { HandlerContext } from './context.js';

/** What a middleware may know of the session a call belongs to. */
export interface CallSession {
  readonly id: string | undefined;
  readonly protocolVersion: string | undefined;
  readonly clientInfo: Implementation | undefined;
  readonly clientCapabilities: ClientCapabilities;
}

/** One inbound request, as every middleware sees it. */
export interface Call {
  readonly id: RequestId;
  readonly method: string;
  readonly params: Record<string, unknown>;
  /**
   * What the call acts on: the tool name (`tools/call`), the prompt name (`prompts/get`), the URI
   * (`resources/read`, `resources/subscribe`…), else undefined. Limits, RBAC and telemetry key on it.
   */
  readonly target: string | undefined;
  /** Aborted when the client cancels, the connection drops, or a time limit fires. */
  readonly signal: AbortSignal;
  readonly meta: Meta | undefined;
  /** 'stdio', 'http', 'ws', 'tcp', 'sse', 'memory', or undefined for a custom transport. */
  readonly transport: string | undefined;
  readonly remoteAddress: string | undefined;
  /** The identity an admission hook attached (a verified token, an API key), if any. */
  readonly auth: AuthInfo | undefined;
  /** Carrier details (HTTP headers, URL). */
  readonly extra: MessageExtra | undefined;
  /** The session, when the call belongs to one. */
  readonly session: CallSession | undefined;
  /**
   * The context a handler of this call would get (progress, requests back to the client tied
   * to this request): a middleware that answers a call itself — the gateway forwarding it
   * upstream — uses it. Optional: a Call built elsewhere may not have one.
   */
  readonly context?: HandlerContext;
}

/** Runs the rest of the chain (and finally the handler) for the same call. */
export type Next = () => Promise<Result>;

/**
 * A request middleware.
 *
 * @example
 * server.use(async (call, next) => {
 *   const started = performance.now();
 *   try {
 *     return await next();
 *   } finally {
 *     console.error(`${call.method} ${call.target ?? ''} ${(performance.now() - started).toFixed(1)} ms`);
 *   }
 * });
 */
export type Middleware = (call: Call, next: Next) => Result | Promise<Result>;

/** The innermost step: the handler table. */
export type Terminal = (call: Call) => Result | Promise<Result>;

/** A call that knows its own handler: the terminal step of every chain runs it. */
export interface RunnableCall extends Call {
  run(): Result | Promise<Result>;
}

/** Composes middlewares (first = outermost) around `terminal` into one function, once. */
export function compose(middlewares: readonly Middleware[], terminal: Terminal): (call: Call) => Promise<Result> {
  let chain = (call: Call): Promise<Result> => {
    try {
      return Promise.resolve(terminal(call));
    } catch (e) {
      return Promise.reject(e);
    }
  };
  for (let i = middlewares.length - 1; i >= 0; i--) {
    const mw = middlewares[i]!;
    const next = chain;
    chain = (call) => {
      let called = false;
      try {
        return Promise.resolve(
          mw(call, () => {
            // Running the rest twice would run the handler twice: a middleware bug, said plainly.
            if (called) return Promise.reject(new Error(`middleware ${mw.name || `#${i}`} called next() twice`));
            called = true;
            return next(call);
          }),
        );
      } catch (e) {
        return Promise.reject(e);
      }
    };
  }
  return chain;
}

const TARGET_KEY: Record<string, 'name' | 'uri' | undefined> = {
  __proto__: null as never,
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'resources/subscribe': 'uri',
  'resources/unsubscribe': 'uri',
};

/** The name or URI a method acts on. */
export function targetOf(method: string, params: Record<string, unknown>): string | undefined {
  const key = TARGET_KEY[method];
  if (key === undefined) return undefined;
  const v = params[key];
  return typeof v === 'string' ? v : undefined;
}
