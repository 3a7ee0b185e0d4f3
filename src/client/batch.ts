/**
 * Many calls at once (`client.batch()`), using the best the transport and the negotiated
 * revision allow:
 * - 2025-03-26 with a transport that sends arrays (`sendBatch`: Streamable HTTP, stdio, WS, TCP):
 *   one JSON-RPC batch (JSON-RPC 2.0 §6; MCP 2025-03-26 basic/index#batching). Over HTTP that
 *   is one POST carrying every request.
 * - Any later revision (2025-06-18 removed batching) or a transport without arrays: pipelining —
 *   every request is sent before the first answer is awaited.
 * Client middlewares still see each call: a call's chain runs up to its terminal `next()`,
 * and the batch goes out once every chain got there (or finished without sending).
 */
import type { RequestOptions } from '../engine/outbound.js';
import { ErlmcpError } from '../protocol/errors.js';
import type { Result } from '../protocol/types.js';
import { runClientChain, type ClientCall, type ClientMiddleware } from './middleware.js';

/** One call of a batch. */
export interface BatchCall {
  method: string;
  params?: Record<string, unknown> | undefined;
}

/** The outcome of one call, in the order the calls were given (the shape of `Promise.allSettled`). */
export type BatchResult<R = Result> = { status: 'fulfilled'; value: R } | { status: 'rejected'; reason: unknown };

/** What batch() needs from the client it runs on (client.ts supplies it). */
export interface BatchHost {
  readonly middlewares: readonly ClientMiddleware[];
  /** JSON-RPC batch arrays are allowed on this session (2025-03-26, legacy era). */
  readonly batchable: boolean;
  /** The modern era sends each call on its own (no batches, no sessions): one call, the usual path. */
  readonly modern: boolean;
  callOne(method: string, params: Record<string, unknown> | undefined, options: RequestOptions | undefined): Promise<Result>;
  requestMany(calls: { method: string; params?: Record<string, unknown> | undefined; options?: RequestOptions | undefined }[], asBatch: boolean): Promise<Result>[];
  clientCall(method: string, params: Record<string, unknown> | undefined): ClientCall;
  /** Re-initializes after a session expiry (shared with concurrent callers). */
  recover(): Promise<void>;
}

/** Sends `calls` at once; never rejects as a whole: each call settles on its own. */
export async function sendBatch(host: BatchHost, calls: readonly BatchCall[], options?: RequestOptions): Promise<BatchResult[]> {
  if (calls.length === 0) return [];
  if (host.modern) return Promise.allSettled(calls.map((c) => host.callOne(c.method, c.params, options)));
  const first = await Promise.allSettled(wave(host, calls, options));
  // basic/transports#session-management: a 404 means the server never ran the requests, so
  // after a fresh initialize they are sent again (once).
  const expired = first.flatMap((r, i) => (r.status === 'rejected' && r.reason instanceof ErlmcpError && r.reason.code === 'ERR_SESSION_EXPIRED' ? [i] : []));
  if (expired.length === 0) return first;
  await host.recover();
  const again = await Promise.allSettled(wave(host, expired.map((i) => calls[i]!), options));
  expired.forEach((i, k) => (first[i] = again[k]!));
  return first;
}

/** One send of `calls`: through the middlewares when there are any, then one requestMany. */
function wave(host: BatchHost, calls: readonly BatchCall[], options: RequestOptions | undefined): Promise<Result>[] {
  if (host.middlewares.length === 0) return host.requestMany(calls.map((c) => ({ method: c.method, params: c.params, options })), host.batchable);
  // Each chain's terminal parks its call here; the batch leaves when every chain has either
  // parked or finished without sending (a cache hit, a refusal). A terminal reached after
  // that (a middleware retrying) sends on its own.
  const parked: { method: string; params: Record<string, unknown> | undefined; resolve: (p: Promise<Result>) => void }[] = [];
  let outstanding = calls.length;
  let flushed = false;
  const settleOne = () => {
    if (--outstanding === 0) flush();
  };
  const flush = () => {
    if (flushed) return;
    flushed = true;
    const sent = host.requestMany(parked.map((p) => ({ method: p.method, params: p.params, options })), host.batchable);
    parked.forEach((p, i) => p.resolve(sent[i]!));
  };
  return calls.map((c) => {
    const call = host.clientCall(c.method, c.params);
    let counted = false;
    const count = () => {
      if (!counted) {
        counted = true;
        settleOne();
      }
    };
    const result = runClientChain(host.middlewares, call, () => {
      if (flushed) return host.requestMany([{ method: c.method, params: call.params, options }], false)[0]!;
      const p = new Promise<Promise<Result>>((resolve) => parked.push({ method: c.method, params: call.params, resolve }));
      count();
      return p.then((x) => x);
    });
    result.then(count, count);
    return result;
  });
}
