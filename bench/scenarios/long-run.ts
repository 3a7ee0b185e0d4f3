/**
 * (7) Long run: N tools/call on one session over HTTP (16 in flight, keep-alive), with the
 * server's heap and RSS after a forced GC before and after — the leak check. JSON-response
 * mode for both sides, and SSE mode too (ours keeps SSE events for resumability). Counts per
 * side and mode come from config.ts (the SDK's JSON-mode count is capped in full mode).
 */
import { closedLoop } from '../lib/load.js';
import { childMemory, MiB } from '../lib/memory.js';
import { keepAliveAgent, RawHttpSession } from '../lib/raw-http-client.js';
import type { Row } from '../lib/report.js';
import { interleave, toRows, type Sample } from '../lib/runs.js';
import { BIG_HEAP, startHttpFixture, type FixtureName } from '../lib/spawn.js';
import type { Scenario } from './scenario.js';

const INFLIGHT = 16;

async function measureLong(fixture: FixtureName, args: string[], calls: number, notes: string[]): Promise<Sample> {
  const child = await startHttpFixture(fixture, args, BIG_HEAP);
  const agent = keepAliveAgent(INFLIGHT);
  try {
    const s = await RawHttpSession.open(child.url, agent);
    const op = (): Promise<unknown> => s.request('tools/call', { name: 'echo', arguments: { text: 'hello' } });
    await closedLoop(op, { inflight: INFLIGHT, maxOps: Math.min(1000, calls), maxMs: 60_000 });
    const before = await childMemory(child.origin);
    const r = await closedLoop(op, { inflight: INFLIGHT, maxOps: calls, maxMs: 30 * 60_000 });
    // A server that died mid-run (out of memory, say) makes every later request fail fast.
    const died = child.exited();
    if (died) throw new Error(`server child exited (${died}) after about ${r.ops} calls`);
    const after = await childMemory(child.origin);
    if (r.errors > 0) notes.push(`long-run ${fixture} ${args.join(' ')}: ${r.errors} errors, first: ${r.firstError}`);
    if (r.ops < calls) notes.push(`long-run ${fixture} ${args.join(' ')}: time bound hit after ${r.ops} calls`);
    return {
      rate: r.opsPerSec,
      heapBefore: before.heapUsed / MiB,
      heapAfter: after.heapUsed / MiB,
      // Per call, so sides run for different counts (the SDK's cap) still compare.
      heapPerKCall: ((after.heapUsed - before.heapUsed) / r.ops) * (1000 / 1024),
      rssBefore: before.rss / MiB,
      rssAfter: after.rss / MiB,
    };
  } finally {
    agent.destroy();
    await child.stop();
  }
}

const fmt = (n: number): string => n.toLocaleString('en-US');

export const longRunScenario: Scenario = {
  name: 'long-run',
  title: 'N tools/call on one HTTP session, heap and RSS before/after',
  async run(cfg) {
    const rows: Row[] = [];
    const notes: string[] = [];
    for (const mode of ['json', 'sse'] as const) {
      const args = mode === 'json' ? ['--json'] : [];
      const ours = mode === 'json' ? cfg.longRunCalls : cfg.longRunSseCalls;
      const sdk = mode === 'json' ? cfg.longRunSdkCalls : cfg.longRunSseCalls;
      // The label names each side's count when they differ (config.ts caps the SDK's).
      const label = ours === sdk ? `${fmt(ours)} calls` : `${fmt(ours)} calls (SDK ${fmt(sdk)})`;
      if (ours !== sdk) notes.push(`long-run ${mode}: ours ${fmt(ours)} calls, the SDK capped at ${fmt(sdk)} to bound the run's time (bench/lib/config.ts); "heap after" is after each side's own count, "heap growth per 1,000 calls" compares like with like`);
      // One run: this is a leak check, and the full mode's million calls take minutes.
      const outcome = await interleave(1, {
        ours: () => measureLong('ours-http', args, ours, notes),
        sdk: () => measureLong('sdk-http', args, sdk, notes),
      });
      rows.push(
        ...toRows(
          'long-run',
          [
            { key: 'rate', metric: `${mode} ${label}`, unit: 'calls/s', better: 'higher' },
            { key: 'heapBefore', metric: `${mode} heap before`, unit: 'MiB', better: 'lower' },
            { key: 'heapAfter', metric: `${mode} heap after ${label}`, unit: 'MiB', better: 'lower', headline: mode === 'json' },
            { key: 'heapPerKCall', metric: `${mode} heap growth per 1,000 calls`, unit: 'KiB', better: 'lower' },
            { key: 'rssBefore', metric: `${mode} RSS before`, unit: 'MiB', better: 'lower' },
            { key: 'rssAfter', metric: `${mode} RSS after ${label}`, unit: 'MiB', better: 'lower' },
          ],
          outcome,
        ),
      );
    }
    return { rows, notes };
  },
};
