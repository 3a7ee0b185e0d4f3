/**
 * Server against server over stdio: one driver (RawStdioClient, which batches its writes per
 * tick like our StdioClientTransport) sends the same tools/call echo to each server fixture, and
 * the server process's CPU time is read from /proc/<pid>/stat around each loop. Only the server
 * differs between sides, so the ratios are server ratios, not client+server stacks.
 */
import { cpuMs } from '../../src/cli/bench/proc.js';
import type { BenchConfig } from './config.js';
import { closedLoop } from './load.js';
import { RawStdioClient } from './raw-stdio-client.js';
import type { Sample } from './runs.js';
import type { FixtureName } from './spawn.js';

const perCallUs = (before: number | undefined, after: number | undefined, ops: number): number => (before === undefined || after === undefined || ops === 0 ? Number.NaN : ((after - before) * 1000) / ops);

/**
 * `warmupMs`: also run 64 in flight for that long before measuring (for a fixture whose code
 * paths take longer to warm than `cfg.warmupOps` one-at-a-time calls, e.g. with the OTel SDK on:
 * on a loaded machine its first seconds would otherwise fall in the measured loop).
 */
export async function measureStdioServer(fixture: FixtureName, cfg: BenchConfig, warmupMs = 0): Promise<Sample> {
  const c = RawStdioClient.start(fixture);
  try {
    await c.handshake();
    const op = (): Promise<unknown> => c.request('tools/call', { name: 'echo', arguments: { text: 'hello' } });
    if (cfg.warmupOps > 0) await closedLoop(op, { inflight: 1, maxOps: cfg.warmupOps, maxMs: cfg.loopMs });
    if (warmupMs > 0) await closedLoop(op, { inflight: 64, maxOps: 10_000_000, maxMs: warmupMs });
    const c0 = cpuMs(c.pid);
    const seq = await closedLoop(op, { inflight: 1, maxOps: cfg.seqOps, maxMs: cfg.loopMs });
    const c1 = cpuMs(c.pid);
    const par = await closedLoop(op, { inflight: 64, maxOps: cfg.parOps, maxMs: cfg.loopMs });
    const c2 = cpuMs(c.pid);
    return {
      seqRate: seq.opsPerSec,
      seqP50: seq.p50Ms,
      seqP99: seq.p99Ms,
      seqCpu: perCallUs(c0, c1, seq.ops),
      parRate: par.opsPerSec,
      parP50: par.p50Ms,
      parP99: par.p99Ms,
      parCpu: perCallUs(c1, c2, par.ops),
    };
  } finally {
    await c.close();
  }
}
