/**
 * What a server refused before any middleware could see the request, reported to whoever
 * listens (`server.onRefusal`): an admission hook's refusal (401, 403, 429…), a full server
 * (503, `limits.maxSessions`), a full session (-32000 `max_in_flight`). Refusals inside the
 * middleware chain (a policy, a rate limit, a busy tool) are errors thrown through the chain,
 * and a middleware installed before them sees those itself. The audit log listens here, so it
 * records every refusal without knowing which feature refused.
 */
import type { AuthInfo } from '../protocol/transport.js';
import type { AdmissionRefusal, AdmissionRequest } from './admission.js';

export interface Refusal {
  /** admission: a hook refused the carrier request; session: no room for a new session; request: no room in the session. */
  readonly stage: 'admission' | 'session' | 'request';
  readonly transport: string | undefined;
  readonly remoteAddress: string | undefined;
  readonly sessionId: string | undefined;
  /** The JSON-RPC method, or for a carrier refusal the HTTP method and path ('POST /mcp'; 'connect' for TCP). */
  readonly method: string;
  readonly target: string | undefined;
  /** HTTP status of a carrier refusal, or the JSON-RPC error code. */
  readonly code: number | undefined;
  /** `data.reason` of the refusal ('unauthorized', 'rate_limited', 'max_sessions', 'max_in_flight'…). */
  readonly reason: string | undefined;
  /** The identity established before the refusal, when one was (a rate limit after authentication). */
  readonly auth: AuthInfo | undefined;
}

/** Told of each refusal; must not throw (a throw is dropped). */
export type RefusalListener = (refusal: Refusal) => void;

/** Calls every listener, never letting one break the request path. */
export function notifyRefusal(listeners: ReadonlySet<RefusalListener>, r: Refusal): void {
  for (const l of listeners) {
    try {
      l(r);
    } catch {
      // a listener's bug must not turn a refusal into a crash
    }
  }
}

/**
 * The Refusal record of an admission hook's refusal of `req` (one shape for every listener).
 *
 * @example
 * notifyRefusal(listeners, admissionRefusal(req, verdict.refusal, verdict.identity));
 */
export function admissionRefusal(req: AdmissionRequest, refusal: AdmissionRefusal, auth: AuthInfo | undefined): Refusal {
  const reason = (refusal.data as { reason?: unknown } | undefined)?.reason;
  return {
    stage: 'admission',
    transport: req.transport,
    remoteAddress: req.remoteAddress,
    sessionId: req.sessionId,
    method: `${req.method ?? ''} ${req.path ?? ''}`.trim() || 'connect',
    target: undefined,
    code: refusal.status,
    reason: typeof reason === 'string' ? reason : undefined,
    auth,
  };
}
