/**
 * The carrier seam: admission hooks run by every network transport (Streamable HTTP, legacy
 * SSE, the WebSocket upgrade, TCP accept) before any session is looked up or any message parsed.
 * A hook sees the carrier request (headers, remote address) and can refuse it with a status and
 * headers of its own (401 + WWW-Authenticate, 403, 429 + Retry-After) or admit it with an
 * identity, which then reaches every handler (`ctx.authInfo`) and middleware (`call.auth`).
 * Hooks run in the order they were added; the first refusal wins; a later identity replaces an
 * earlier one, and each hook sees the identity established so far (a rate limit keys on the
 * subject an auth hook verified). With no hook installed a transport skips the seam entirely.
 */
import type { AuthInfo } from '../protocol/transport.js';

/** The carrier-level request an admission hook judges. */
export interface AdmissionRequest {
  /** 'http' (Streamable HTTP), 'sse' (legacy HTTP+SSE), 'ws' (WebSocket upgrade) or 'tcp' (accept). */
  readonly transport: 'http' | 'sse' | 'ws' | 'tcp';
  /** HTTP method; undefined for TCP. */
  readonly method: string | undefined;
  /** Request path without the query; undefined for TCP. */
  readonly path: string | undefined;
  /** Lower-case header names; empty for TCP. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly remoteAddress: string | undefined;
  /** The `Mcp-Session-Id` the request names, unverified (undefined when absent). */
  readonly sessionId: string | undefined;
}

/** A refusal, answered by the transport as it stands: HTTP status + headers, or a closed socket. */
export interface AdmissionRefusal {
  /** HTTP status: 401, 403, 429, 503… */
  readonly status: number;
  readonly message: string;
  /** Extra response headers (WWW-Authenticate, Retry-After). */
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON-RPC error code of the body. Default -32000. */
  readonly code?: number;
  readonly data?: unknown;
}

/** What a hook decides: nothing (admit as is), an identity (admit as someone), or a refusal. */
export type AdmissionVerdict = void | undefined | { readonly identity: AuthInfo } | { readonly refuse: AdmissionRefusal };

/**
 * An admission hook.
 *
 * @example
 * server.admit((req) => {
 *   const key = req.headers['x-api-key'];
 *   if (key === undefined) return { refuse: { status: 401, message: 'API key required' } };
 *   return { identity: { subject: lookUp(key), method: 'api-key' } };
 * });
 */
export type AdmissionHook = (req: AdmissionRequest, identity: AuthInfo | undefined) => AdmissionVerdict | Promise<AdmissionVerdict>;

/** The outcome a transport acts on. */
export type Admission =
  | { readonly ok: true; readonly identity: AuthInfo | undefined }
  /** `identity`: what the hooks before the refusing one established (a rate limit refusing an authenticated caller). */
  | { readonly ok: false; readonly refusal: AdmissionRefusal; readonly identity?: AuthInfo | undefined };

const ADMITTED: Admission = Object.freeze({ ok: true, identity: undefined });

/** Runs hooks in order. Synchronous hooks give a synchronous answer (no promise on the hot path). */
export function runAdmission(hooks: readonly AdmissionHook[], req: AdmissionRequest): Admission | Promise<Admission> {
  let identity: AuthInfo | undefined;
  for (let i = 0; i < hooks.length; i++) {
    const v = hooks[i]!(req, identity);
    if (v instanceof Promise) return finishAsync(hooks, req, i, v, identity);
    if (v && 'refuse' in v) return { ok: false, refusal: v.refuse, identity };
    if (v && 'identity' in v) identity = v.identity;
  }
  return identity === undefined ? ADMITTED : { ok: true, identity };
}

async function finishAsync(hooks: readonly AdmissionHook[], req: AdmissionRequest, at: number, first: Promise<AdmissionVerdict>, identity: AuthInfo | undefined): Promise<Admission> {
  let v = await first;
  for (let i = at; ; ) {
    if (v && 'refuse' in v) return { ok: false, refusal: v.refuse, identity };
    if (v && 'identity' in v) identity = v.identity;
    if (++i >= hooks.length) break;
    v = await hooks[i]!(req, identity);
  }
  return identity === undefined ? ADMITTED : { ok: true, identity };
}
