/** The shared tools/call workload: connect, sequential loop, 64-in-flight loop, disconnect. */
import type { Driver } from './clients.js';
import type { BenchConfig } from './config.js';
import { closedLoop } from './load.js';
import type { Sample } from './runs.js';

export async function measureCalls(open: () => Promise<Driver>, cfg: BenchConfig): Promise<Sample> {
  const d = await open();
  try {
    const op = (): Promise<unknown> => d.call('echo', { text: 'hello' });
    const seq = await closedLoop(op, { inflight: 1, maxOps: cfg.seqOps, maxMs: cfg.loopMs, warmupOps: cfg.warmupOps });
    // No second warm-up: the sequential loop just warmed this connection (warm-up is sequential too).
    const par = await closedLoop(op, { inflight: 64, maxOps: cfg.parOps, maxMs: cfg.loopMs });
    return { seqRate: seq.opsPerSec, seqP50: seq.p50Ms, seqP99: seq.p99Ms, parRate: par.opsPerSec, parP50: par.p50Ms, parP99: par.p99Ms };
  } finally {
    await d.close();
  }
}
