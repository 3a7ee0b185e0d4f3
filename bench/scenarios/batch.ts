/**
 * client.batch(): 100 calls sent at once vs 100 awaited one after another, HTTP (ours-http
 * fixture, JSON mode, its own process). On a 2025-03-26 session the batch is one JSON-RPC
 * batch in one POST; on the latest revision (no batches) it is 100 pipelined POSTs.
 * Columns: ours = client.batch(); raw = our Client, 100 awaited sequential calls (not a raw
 * reference here); sdk = the official SDK client, 100 awaited sequential calls.
 */
import { Client } from '../../src/client/index.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/client.js';
import { sdkHttp } from '../lib/clients.js';
import type { BenchConfig } from '../lib/config.js';
import { closedLoop } from '../lib/load.js';
import { interleave, toRows, type Sample } from '../lib/runs.js';
import { startHttpFixture } from '../lib/spawn.js';
import type { Scenario } from './scenario.js';

const N = 100;
const INFO = { name: 'bench-batch', version: '1.0.0' };
const ARGS = { name: 'echo', arguments: { text: 'hello' } };
const CALLS = Array.from({ length: N }, () => ({ method: 'tools/call', params: ARGS }));

/** Calls per second of `round` (N calls each), bounded in rounds and time. */
async function rate(round: () => Promise<unknown>, cfg: BenchConfig): Promise<number> {
  const r = await closedLoop(round, { inflight: 1, maxOps: Math.max(3, Math.ceil(cfg.seqOps / N)), maxMs: cfg.loopMs, warmupOps: 2 });
  return r.opsPerSec * N;
}

async function ours(url: string, protocolVersion: string | undefined, mode: 'batch' | 'sequential', cfg: BenchConfig): Promise<number> {
  const c = new Client(INFO, protocolVersion === undefined ? {} : { protocolVersion });
  await c.connect(new StreamableHttpClientTransport(url));
  try {
    if (mode === 'batch') {
      return await rate(async () => {
        const rs = await c.batch(CALLS);
        const bad = rs.find((r) => r.status === 'rejected');
        if (bad) throw (bad as { reason: unknown }).reason;
      }, cfg);
    }
    return await rate(async () => {
      for (let i = 0; i < N; i++) await c.callTool(ARGS);
    }, cfg);
  } finally {
    await c.close();
  }
}

async function sdkSequential(url: string, cfg: BenchConfig): Promise<number> {
  const d = await sdkHttp(url);
  try {
    return await rate(async () => {
      for (let i = 0; i < N; i++) await d.call(ARGS.name, ARGS.arguments);
    }, cfg);
  } finally {
    await d.close();
  }
}

export const batchScenario: Scenario = {
  name: 'batch',
  title: `client.batch() of ${N} calls vs ${N} awaited sequential calls, HTTP`,
  async run(cfg) {
    const server = await startHttpFixture('ours-http', ['--json']);
    try {
      const url = server.url;
      const outcome = await interleave(cfg.runs, {
        ours: async (): Promise<Sample> => ({ batch: await ours(url, '2025-03-26', 'batch', cfg), pipelined: await ours(url, undefined, 'batch', cfg) }),
        raw: async (): Promise<Sample> => {
          const seq = await ours(url, '2025-03-26', 'sequential', cfg);
          return { batch: seq, pipelined: seq };
        },
        sdk: async (): Promise<Sample> => {
          const seq = await sdkSequential(url, cfg);
          return { batch: seq, pipelined: seq };
        },
      });
      const rows = toRows(
        'batch',
        [
          { key: 'batch', metric: `${N} calls: one JSON-RPC batch POST, 2025-03-26 (raw = ours, ${N} sequential)`, unit: 'calls/s', better: 'higher' },
          { key: 'pipelined', metric: `${N} calls: pipelined POSTs, latest revision (raw = ours, ${N} sequential)`, unit: 'calls/s', better: 'higher' },
        ],
        outcome,
      );
      return { rows, notes: ['batch: raw is our own Client making the same calls one awaited after another (not a raw reference); sdk is the official SDK client doing the same.'] };
    } finally {
      await server.stop();
    }
  },
};
