/**
 * The client's request seam: middlewares around every request this client sends (`outbound`)
 * and every request the server sends it (`inbound`: sampling, elicitation, roots). Telemetry
 * uses it to open a span per request and carry trace context in `params._meta`. With none
 * installed the client calls straight through.
 */
import type { RequestId, Result } from '../protocol/types.js';

/** One request as a client middleware sees it. */
export interface ClientCall {
  /** 'outbound': this client → server; 'inbound': server → this client. */
  readonly direction: 'outbound' | 'inbound';
  readonly method: string;
  /**
   * The request's params. Outbound, a middleware may replace them before `next()` (copy, never
   * mutate what the caller passed), e.g. to add trace context to `_meta`.
   */
  params: Record<string, unknown> | undefined;
  /** The request id (inbound only; outbound ids are allocated when the request is sent). */
  readonly id: RequestId | undefined;
  /** What carries the session ('http', 'stdio', …) when the transport says. */
  readonly transport: string | undefined;
  readonly sessionId: string | undefined;
  /** The negotiated protocol version (undefined until initialize is answered). */
  readonly protocolVersion: string | undefined;
}

/**
 * A client middleware.
 *
 * @example
 * client.use(async (call, next) => {
 *   const t = performance.now();
 *   try { return await next(); } finally { console.error(call.method, performance.now() - t); }
 * });
 */
export type ClientMiddleware = (call: ClientCall, next: () => Promise<Result>) => Result | Promise<Result>;

/** Runs `call` through `mws` (first = outermost) and finally `terminal`. */
export function runClientChain(mws: readonly ClientMiddleware[], call: ClientCall, terminal: () => Promise<Result>): Promise<Result> {
  const step = (i: number): Promise<Result> => {
    if (i === mws.length) return terminal();
    try {
      return Promise.resolve(mws[i]!(call, () => step(i + 1)));
    } catch (e) {
      return Promise.reject(e);
    }
  };
  return step(0);
}
