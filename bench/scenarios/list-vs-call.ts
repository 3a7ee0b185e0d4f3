/**
 * (4) tools/list with 50 registered tools vs tools/call on the same server (ours and the SDK's,
 * over stdio). Both servers are driven by the same raw newline-JSON client, so the difference
 * is server-side work: building (or reusing) the list, validating arguments, serialising.
 */
import { closedLoop } from '../lib/load.js';
import { RawStdioClient } from '../lib/raw-stdio-client.js';
import { interleave, toRows, type Sample } from '../lib/runs.js';
import type { FixtureName } from '../lib/spawn.js';
import type { BenchConfig } from '../lib/config.js';
import type { Scenario } from './scenario.js';

const TOOLS = 50;

async function measure(fixture: FixtureName, cfg: BenchConfig): Promise<Sample> {
  const c = RawStdioClient.start(fixture, ['--tools', String(TOOLS)]);
  try {
    await c.handshake();
    const first = (await c.request('tools/list')) as { tools?: unknown[] };
    // 50 fillers + echo + blob; a short page would make the comparison meaningless.
    if (first.tools?.length !== TOOLS + 2) throw new Error(`tools/list returned ${first.tools?.length} tools, expected ${TOOLS + 2}`);
    const bounds = { inflight: 64, maxOps: cfg.parOps, maxMs: cfg.loopMs, warmupOps: cfg.warmupOps };
    const list = await closedLoop(() => c.request('tools/list'), bounds);
    const call = await closedLoop(() => c.request('tools/call', { name: 'echo', arguments: { text: 'hello' } }), bounds);
    return { list: list.opsPerSec, call: call.opsPerSec, listP50: list.p50Ms, callP50: call.p50Ms, ratio: list.opsPerSec / call.opsPerSec, bytes: JSON.stringify(first).length };
  } finally {
    await c.close();
  }
}

export const listVsCallScenario: Scenario = {
  name: 'list-vs-call',
  title: `tools/list (${TOOLS} tools) vs tools/call, same server, stdio`,
  async run(cfg) {
    const outcome = await interleave(cfg.runs, {
      ours: () => measure('ours-stdio', cfg),
      sdk: () => measure('sdk-stdio', cfg),
    });
    const rows = toRows(
      'list-vs-call',
      [
        { key: 'list', metric: `tools/list (${TOOLS} tools) 64 in flight`, unit: 'calls/s', better: 'higher', headline: true },
        { key: 'call', metric: 'tools/call 64 in flight', unit: 'calls/s', better: 'higher' },
        { key: 'listP50', metric: 'tools/list p50', unit: 'ms', better: 'lower' },
        { key: 'ratio', metric: 'list rate / call rate', unit: '×', better: 'higher' },
        { key: 'bytes', metric: 'tools/list result size', unit: 'bytes', better: 'lower' },
      ],
      outcome,
    );
    return { rows, notes: [] };
  },
};
