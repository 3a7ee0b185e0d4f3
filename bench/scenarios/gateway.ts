/**
 * The gateway's added latency: tools/call `echo` on our HTTP server directly (raw column) and
 * through the gateway in front of it (`up__echo`, ours column), both on loopback, sequential
 * (one in flight) so p50 is per-call latency, interleaved in one run. For scale, the sdk column
 * is the official SDK's HTTP server called directly (no gateway). The gateway and the servers
 * are child processes; the driver is our Client over Streamable HTTP for all three.
 */
import { cpuMs } from '../../src/cli/bench/proc.js';
import { ourHttp } from '../lib/clients.js';
import type { BenchConfig } from '../lib/config.js';
import { closedLoop } from '../lib/load.js';
import type { Row } from '../lib/report.js';
import { interleave, toRows, type Sample } from '../lib/runs.js';
import { startServerChild } from '../lib/server-child.js';
import { startHttpFixture } from '../lib/spawn.js';
import type { Scenario } from './scenario.js';

/** CPU ms the server processes used, summed (from /proc: immune to how busy the machine is). */
function serverCpu(pids: readonly number[]): number {
  return pids.reduce((n, pid) => n + (cpuMs(pid) ?? Number.NaN), 0);
}

async function measure(url: string, tool: string, pids: readonly number[], cfg: BenchConfig): Promise<Sample> {
  const d = await ourHttp(url);
  try {
    for (let i = 0; i < cfg.warmupOps; i++) await d.call(tool, { text: 'hello' });
    const cpu0 = serverCpu(pids);
    const seq = await closedLoop(() => d.call(tool, { text: 'hello' }), { inflight: 1, maxOps: cfg.seqOps, maxMs: cfg.loopMs });
    const cpu = (serverCpu(pids) - cpu0) / seq.ops;
    const par = await closedLoop(() => d.call(tool, { text: 'hello' }), { inflight: 16, maxOps: cfg.parOps, maxMs: cfg.loopMs });
    return { p50: seq.p50Ms, p99: seq.p99Ms, rate: seq.opsPerSec, par: par.opsPerSec, cpu };
  } finally {
    await d.close();
  }
}

/**
 * Calls per path, the same for each, run once before anything is measured: steady state, not
 * start-up. A fresh gateway does two processes' worth of code per call (server and client side)
 * and its CPU per call keeps falling for its first ~5,000 calls (≈ 1.4 → 0.4 ms on a loaded
 * 2-core machine) while V8 optimizes it; measured from cold after 100 calls, the gateway row was
 * mostly that warm-up — and the upstream, measured first through the gateway, was cold there
 * too but warm for the direct row.
 */
function warmupCalls(cfg: BenchConfig): number {
  return cfg.mode === 'smoke' ? cfg.warmupOps : 50 * cfg.warmupOps;
}

async function warm(url: string, tool: string, cfg: BenchConfig): Promise<void> {
  const d = await ourHttp(url);
  try {
    const call = () => d.call(tool, { text: 'hello' });
    // Bounded by count first; the time bound (generous: a loaded machine runs calls slower) only
    // keeps the run bounded. 16 in flight first: more calls per second of warm-up.
    await closedLoop(call, { inflight: 16, maxOps: warmupCalls(cfg), maxMs: 4 * cfg.loopMs });
    await closedLoop(call, { inflight: 1, maxOps: warmupCalls(cfg), maxMs: 4 * cfg.loopMs });
  } finally {
    await d.close();
  }
}

export const gatewayScenario: Scenario = {
  name: 'gateway',
  title: 'the gateway in front of one HTTP upstream vs calling that upstream directly, loopback, p50 per call',
  async run(cfg) {
    const upstream = await startHttpFixture('ours-http', ['--json']);
    const sdk = await startHttpFixture('sdk-http', ['--json']).catch(async (e: unknown) => {
      await upstream.stop();
      throw e;
    });
    try {
      const gateway = await startServerChild('gateway', [upstream.url]);
      try {
        // The upstream first (directly), then the gateway path, then the SDK server: each path the same calls.
        await warm(upstream.url, 'echo', cfg);
        await warm(gateway.address, 'up__echo', cfg);
        await warm(sdk.url, 'echo', cfg);
        const outcome = await interleave(cfg.runs, {
          ours: () => measure(gateway.address, 'up__echo', [gateway.proc.pid!, upstream.pid], cfg),
          raw: () => measure(upstream.url, 'echo', [upstream.pid], cfg),
          sdk: () => measure(sdk.url, 'echo', [sdk.pid], cfg),
        });
        const rows: Row[] = toRows(
          'gateway',
          [
            { key: 'p50', metric: 'tools/call p50, one in flight (ours = via gateway, raw = upstream direct, sdk = SDK server direct)', unit: 'ms', better: 'lower' },
            { key: 'p99', metric: 'tools/call p99, one in flight (same columns)', unit: 'ms', better: 'lower' },
            { key: 'par', metric: 'tools/call 16 in flight (same columns)', unit: 'calls/s', better: 'higher' },
            { key: 'cpu', metric: 'server-side CPU per call, one in flight (ours = gateway + upstream processes)', unit: 'ms', better: 'lower' },
          ],
          outcome,
        );
        const ours = outcome.ours;
        const raw = outcome.raw;
        const added = typeof ours === 'object' && typeof raw === 'object' ? ours.p50! - raw.p50! : undefined;
        if (added !== undefined) rows.push({ scenario: 'gateway', metric: 'p50 the gateway adds (ours − raw)', unit: 'ms', better: 'lower', ours: added });
        const addedCpu = typeof ours === 'object' && typeof raw === 'object' ? ours.cpu! - raw.cpu! : undefined;
        if (addedCpu !== undefined) rows.push({ scenario: 'gateway', metric: 'CPU the gateway process spends per call (ours − raw)', unit: 'ms', better: 'lower', ours: addedCpu });
        return {
          rows,
          notes: [
            'gateway: ours = through the gateway (HTTP → gateway → our HTTP upstream), raw = that upstream called directly, sdk = the official SDK HTTP server called directly (no gateway); ours/raw is the gateway overhead.',
            `gateway: steady state — every path first gets the same warm-up, up to ${warmupCalls(cfg)} calls 16 in flight then ${warmupCalls(cfg)} one at a time (each bounded by ${4 * cfg.loopMs} ms), the upstream before the gateway.`,
          ],
        };
      } finally {
        await gateway.stop();
      }
    } finally {
      await upstream.stop();
      await sdk.stop();
    }
  },
};
