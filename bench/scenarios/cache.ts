/**
 * The two-level cache (docs/cache.md) in front of a stdio upstream:
 * `@modelcontextprotocol/server-everything` (a child process) reading a resource, through our
 * Client with `cacheClient` installed. Sequential reads (one in flight: the cost of one read).
 *   upstream row — ours = a cache hit (the same URI every time, served from L1),
 *                  raw  = a cache miss (a new URI every time, so every read goes to the child),
 *                  sdk  = the official SDK's Client reading the same URI (no cache).
 *                  ours/raw is the hit ÷ miss ratio.
 *   local row    — ours = the same cache hit, raw = a local in-process tools/call (our Client →
 *                  our McpServer over the memory transport, no cache), sdk = the SDK's in-process
 *                  tools/call. ours/raw at or above 0.5 means a hit costs at most twice a local call.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as SdkStdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client } from '../../src/client/index.js';
import { cacheClient } from '../../src/features/cache/index.js';
import { StdioClientTransport } from '../../src/transports/stdio/index.js';
import { ourMemory, sdkMemory } from '../lib/clients.js';
import type { BenchConfig } from '../lib/config.js';
import { closedLoop } from '../lib/load.js';
import type { Row } from '../lib/report.js';
import { interleave, toRows, type Sample } from '../lib/runs.js';
import type { Scenario } from './scenario.js';

const require = createRequire(import.meta.url);
const EVERYTHING = join(dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');
const URI = (n: number): string => `demo://resource/dynamic/text/${n}`;
const INFO = { name: 'bench-cache', version: '1.0.0' };

const loop = (op: () => Promise<unknown>, cfg: BenchConfig) => closedLoop(op, { inflight: 1, maxOps: cfg.seqOps, maxMs: cfg.loopMs, warmupOps: cfg.warmupOps });

/** Our client with the cache, on a fresh server-everything child: hits (same URI) or misses (a new URI each read). */
async function ourUpstream(kind: 'hit' | 'miss', cfg: BenchConfig): Promise<Sample> {
  const client = new Client(INFO);
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
  try {
    const cache = await cacheClient(client, {});
    let n = 1;
    const op = kind === 'hit' ? () => client.readResource(URI(1)) : () => client.readResource(URI(++n));
    const r = await loop(op, cfg);
    const s = cache.stats();
    // The claim is only meaningful if the loop measured what it says it did.
    if (kind === 'hit' && s.misses > 1 + s.invalidations) throw new Error(`expected 1 miss per invalidation in the hit loop, saw ${JSON.stringify(s)}`);
    if (kind === 'miss' && s.hits !== 0) throw new Error(`expected no hit in the miss loop, saw ${s.hits}`);
    return { rate: r.opsPerSec, p50: r.p50Ms * 1000 };
  } finally {
    await client.close();
  }
}

async function sdkUpstream(cfg: BenchConfig): Promise<Sample> {
  const client = new SdkClient(INFO);
  await client.connect(new SdkStdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
  try {
    const r = await loop(() => client.readResource({ uri: URI(1) }), cfg);
    return { rate: r.opsPerSec, p50: r.p50Ms * 1000 };
  } finally {
    await client.close();
  }
}

async function localCall(open: typeof ourMemory, cfg: BenchConfig): Promise<Sample> {
  const d = await open();
  try {
    const r = await loop(() => d.call('echo', { text: 'hello' }), cfg);
    return { rate: r.opsPerSec, p50: r.p50Ms * 1000 };
  } finally {
    await d.close();
  }
}

export const cacheScenario: Scenario = {
  name: 'cache',
  title: 'two-level cache: a hit vs a miss to a stdio upstream (server-everything), and vs a local in-process tools/call',
  async run(cfg) {
    const upstream = await interleave(cfg.runs, {
      ours: () => ourUpstream('hit', cfg),
      raw: () => ourUpstream('miss', cfg),
      sdk: () => sdkUpstream(cfg),
    });
    const local = await interleave(cfg.runs, {
      ours: () => ourUpstream('hit', cfg),
      raw: () => localCall(ourMemory, cfg),
      sdk: () => localCall(sdkMemory, cfg),
    });
    const rows: Row[] = [
      ...toRows(
        'cache',
        [
          { key: 'rate', metric: 'resources/read via stdio upstream, sequential (ours = hit, raw = miss, sdk = SDK client, no cache)', unit: 'calls/s', better: 'higher', headline: true },
          { key: 'p50', metric: 'resources/read p50 (ours = hit, raw = miss, sdk = SDK client)', unit: 'µs', better: 'lower' },
        ],
        upstream,
      ),
      ...toRows(
        'cache',
        [
          { key: 'rate', metric: 'cache hit vs local in-process tools/call, sequential (ours = hit, raw = our call, sdk = SDK call)', unit: 'calls/s', better: 'higher' },
          { key: 'p50', metric: 'cache hit vs local in-process tools/call p50', unit: 'µs', better: 'lower' },
        ],
        local,
      ),
    ];
    return {
      rows,
      notes: ['cache: ours/raw in the first rows is hit ÷ miss against a stdio upstream (target ≥ 10); in the last rows it is hit ÷ a local in-process tools/call (target ≥ 0.5, i.e. a hit costs at most twice a local call).'],
    };
  },
};
