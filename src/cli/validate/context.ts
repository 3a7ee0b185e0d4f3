/** What every group of checks is given. */
import type { Recorder } from './checks.js';
import type { Target } from './target.js';

export interface ValidateOptions {
  /** Time limit of one request, in ms. Default 10 000. */
  timeoutMs: number;
  /** Call every tool, not only those annotated readOnlyHint. */
  callTools: boolean;
  /** Time spent at each concurrency of the performance probe, in ms; 0 skips the probe. */
  probeMs: number;
  /** Size of the body sent to test the HTTP body limit. */
  bodyBytes: number;
}

export const DEFAULT_VALIDATE_OPTIONS: ValidateOptions = { timeoutMs: 10_000, callTools: false, probeMs: 1000, bodyBytes: 17 * 1024 * 1024 };

export interface CheckContext {
  target: Target;
  rec: Recorder;
  opts: ValidateOptions;
}

/** JSON-RPC error object of a response, if it is an error response. */
export function errorOf(m: Record<string, unknown> | undefined): { code: unknown; message: unknown } | undefined {
  const e = m?.error;
  return e !== null && typeof e === 'object' ? (e as { code: unknown; message: unknown }) : undefined;
}
