/**
 * The one load driver every server is measured with: keeps `inFlight` calls outstanding until
 * `durationMs` has passed or `maxCalls` were sent, and records each call's latency. The same
 * function drives ours, the SDK's and anyone else's server, so figures compare servers.
 */

export interface DriveOptions {
  inFlight: number;
  /** Stop sending after this long, in ms. */
  durationMs: number;
  /** Stop sending after this many calls (a bound for fast servers). Default unbounded. */
  maxCalls?: number;
}

export interface DriveFigures {
  inFlight: number;
  calls: number;
  errors: number;
  /** First error message seen, if any. */
  firstError?: string;
  seconds: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Nearest-rank percentile of ascending-sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export async function drive(call: () => Promise<unknown>, opts: DriveOptions): Promise<DriveFigures> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let sent = 0;
  const max = opts.maxCalls ?? Number.POSITIVE_INFINITY;
  const t0 = performance.now();
  const deadline = t0 + opts.durationMs;
  const worker = async () => {
    while (sent < max && performance.now() < deadline) {
      sent++;
      const s = performance.now();
      try {
        await call();
        latencies.push(performance.now() - s);
      } catch (e) {
        errors++;
        firstError ??= (e as Error)?.message ?? String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.inFlight }, worker));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    inFlight: opts.inFlight,
    calls: latencies.length,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    seconds: round(seconds),
    callsPerSecond: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
}
