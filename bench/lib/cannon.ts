/**
 * autocannon (a devDependency, CommonJS, no bundled types) behind a small typed surface.
 * Loaded lazily so the rest of the suite runs where it is not installed.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { percentile } from './stats.js';

export interface CannonOptions {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  /** The body of the n-th request: JSON-RPC ids must never repeat on a session. */
  body: (n: number) => string;
  connections: number;
  duration: number;
  /** A request count instead of a duration. */
  amount?: number;
}

export interface CannonResult {
  requestsPerSec: number;
  total: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

interface RawResult {
  requests: { average: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}

interface RawRequest {
  method?: string;
  body?: string;
}

interface RawOptions {
  url: string;
  method: string;
  headers: Record<string, string>;
  connections: number;
  duration: number;
  amount?: number;
  sampleInt: number;
  timeout: number;
  requests: { setupRequest: (req: RawRequest) => RawRequest }[];
}

interface Instance extends Promise<RawResult> {
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): void;
}

type Autocannon = (opts: RawOptions) => Instance;

let loaded: Autocannon | undefined;

/** undefined when autocannon loads; otherwise why not. */
export function autocannonMissing(): string | undefined {
  try {
    load();
    return undefined;
  } catch (e) {
    return `autocannon not loadable (npm install --no-save autocannon@8): ${(e as Error).message.split('\n')[0]}`;
  }
}

function load(): Autocannon {
  loaded ??= createRequire(import.meta.url)('autocannon') as Autocannon;
  return loaded;
}

/** Process-wide, so ids never repeat on a session however many loads run against it. */
let n = 0;

export async function cannon(o: CannonOptions): Promise<CannonResult> {
  // Not autocannon's idReplacement: v8 computes Content-Length for a longer id than hyperid
  // now makes, so servers wait for bytes that never come. setupRequest rebuilds each request.
  const t0 = performance.now();
  let last = t0;
  const inst = load()({
    url: o.url,
    method: o.method,
    headers: o.headers,
    connections: o.connections,
    duration: o.duration,
    ...(o.amount === undefined ? {} : { amount: o.amount }),
    // autocannon checks its stop flag on each sample tick (default 1 s), so a fractional
    // duration or an `amount` would run on to the next whole second; its per-sample stats are
    // not used here.
    sampleInt: 100,
    timeout: 10,
    requests: [{ setupRequest: (req) => ({ ...req, method: o.method, body: o.body(n++) }) }],
  });
  // autocannon's own percentiles are whole milliseconds (an integer histogram); sub-ms
  // latencies need the exact per-response times it emits.
  const times: number[] = [];
  inst.on('response', (_c, status, _b, ms) => {
    if (status >= 200 && status < 300) times.push(ms);
    last = performance.now();
  });
  const r = await inst;
  const sorted = Float64Array.from(times).sort();
  // Up to the last response: autocannon only stops on a sample tick, so an `amount` run would
  // otherwise count its idle tail (and requests.average is per-sample buckets).
  const rps = last > t0 ? (r.requests.total * 1000) / (last - t0) : 0;
  return { requestsPerSec: rps, total: r.requests.total, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), errors: r.errors + r.timeouts, non2xx: r.non2xx };
}
