/**
 * Closed-loop load: `inflight` workers each await one operation, then start the next, until
 * `maxOps` operations have started or `maxMs` has passed. Every loop is bounded in count and time.
 */
import { performance } from 'node:perf_hooks';
import { summarize } from './stats.js';

export interface LoadOptions {
  inflight: number;
  maxOps: number;
  maxMs: number;
  /** Operations run (sequentially) before the clock starts; JIT and connection warm-up. */
  warmupOps?: number;
}

export interface LoadResult {
  ops: number;
  errors: number;
  firstError: string | undefined;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export async function closedLoop(op: () => Promise<unknown>, o: LoadOptions): Promise<LoadResult> {
  for (let i = 0; i < (o.warmupOps ?? 0); i++) await op();
  const latencies = new Float64Array(o.maxOps);
  let started = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const deadline = t0 + o.maxMs;
  const worker = async (): Promise<void> => {
    while (started < o.maxOps && performance.now() < deadline) {
      started++;
      const s = performance.now();
      try {
        await op();
        latencies[done++] = performance.now() - s;
      } catch (e) {
        errors++;
        firstError ??= errorText(e);
        // A failing operation usually fails fast; stop rather than spin on it.
        if (errors > 10 && errors > started / 2) return;
      }
    }
  };
  await Promise.all(Array.from({ length: o.inflight }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const s = summarize(latencies.subarray(0, done));
  if (done === 0) throw new Error(firstError ?? 'no operation completed');
  return { ops: done, errors, firstError, seconds, opsPerSec: done / seconds, p50Ms: s.p50, p99Ms: s.p99 };
}

export function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s+/g, ' ').slice(0, 160);
}
