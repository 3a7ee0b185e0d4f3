/**
 * (8) Scale-out (issue 4): the everything server on Redis stores in 1, 2 and 4 processes
 * behind the RoundRobinProxy (every request to the next node — no stickiness), driven on one
 * session by the raw keep-alive node:http client, sequential and 64 in flight; plus the Redis
 * cost of a tools/call on a private redis-server: commands executed (INFO commandstats,
 * scripts' inner commands included) and round trips (commands the nodes sent; a script call is
 * one). The raw column is the baseline: one process on the in-memory stores, no proxy, no Redis.
 * The SDK cannot serve one session from several processes (its sessions live in the process
 * that created them), so its cells are '—' except in the one-process row.
 */
import type { BenchConfig } from '../lib/config.js';
import { closedLoop, errorText } from '../lib/load.js';
import { startPrivateRedis, type PrivateRedis } from '../lib/private-redis.js';
import { keepAliveAgent, RawHttpSession } from '../lib/raw-http-client.js';
import type { Cell, Row } from '../lib/report.js';
import type { Sample } from '../lib/runs.js';
import { startMemoryNode, startRedisCluster, startSdkNode, type Topology } from '../lib/scale-out-topology.js';
import { median } from '../lib/stats.js';
import type { Scenario } from './scenario.js';

const INFLIGHT = 64;

const LOAD_METRICS = [
  { key: 'seqRate', metric: 'sequential', unit: 'calls/s', better: 'higher' },
  { key: 'seqP50', metric: 'sequential p50', unit: 'ms', better: 'lower' },
  { key: 'seqP99', metric: 'sequential p99', unit: 'ms', better: 'lower' },
  { key: 'parRate', metric: `${INFLIGHT} in flight`, unit: 'calls/s', better: 'higher' },
  { key: 'parP50', metric: `${INFLIGHT} in flight p50`, unit: 'ms', better: 'lower' },
  { key: 'parP99', metric: `${INFLIGHT} in flight p99`, unit: 'ms', better: 'lower' },
] as const;

/** Per-command and per-node keys of a sample, for the notes. */
const CMD = 'cmd:';
const SHARE = 'share:';

function diff(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) out.set(k, v - (before.get(k) ?? 0));
  // Our own bookkeeping (the INFO snapshots) is not the nodes' cost.
  out.delete('info');
  return out;
}

async function measure(start: () => Promise<Topology>, cfg: BenchConfig, nodes: number, redis: PrivateRedis | undefined, notes: string[], label: string): Promise<Sample> {
  const top = await start();
  const agent = keepAliveAgent(INFLIGHT);
  try {
    const s = await RawHttpSession.open(top.url, agent);
    const op = (): Promise<unknown> => s.request('tools/call', { name: 'echo', arguments: { text: 'hello' } });
    // Warm: JIT, connections, and every node's copy of the session (a node that has not seen
    // it yet reads it from Redis once).
    for (let i = 0; i < Math.max(cfg.warmupOps, 4 * nodes); i++) await op();
    const stats0 = await redis?.commandCalls();
    const counts0 = await top.counts();
    const seq = await closedLoop(op, { inflight: 1, maxOps: cfg.seqOps, maxMs: cfg.loopMs });
    const par = await closedLoop(op, { inflight: INFLIGHT, maxOps: cfg.parOps, maxMs: cfg.loopMs });
    const counts1 = await top.counts();
    const stats1 = await redis?.commandCalls();
    await s.delete().catch(() => {});
    const errors = seq.errors + par.errors;
    if (errors > 0) notes.push(`scale-out ${label}: ${errors} failed calls, first: ${seq.firstError ?? par.firstError}`);
    // A failed call may still have cost Redis commands: count it.
    const calls = seq.ops + par.ops + errors;
    const sample: Sample = { seqRate: seq.opsPerSec, seqP50: seq.p50Ms, seqP99: seq.p99Ms, parRate: par.opsPerSec, parP50: par.p50Ms, parP99: par.p99Ms };
    const served = counts1.requests.map((r, i) => r - (counts0.requests[i] ?? 0));
    const total = served.reduce((a, b) => a + b, 0);
    served.forEach((r, i) => (sample[`${SHARE}${i}`] = total ? r / total : 0));
    if (stats0 && stats1) {
      const executed = diff(stats1, stats0);
      sample.commands = [...executed.values()].reduce((a, b) => a + b, 0) / calls;
      sample.roundTrips = (counts1.redisCommands - counts0.redisCommands) / calls;
      for (const [k, v] of executed) sample[`${CMD}${k}`] = v / calls;
    }
    return sample;
  } finally {
    agent.destroy();
    await top.stop();
  }
}

interface Config {
  id: string;
  nodes: number;
  start: (prefix: string) => Promise<Topology>;
  redis: boolean;
}

function medians(samples: readonly Sample[]): Sample {
  const keys = new Set(samples.flatMap((s) => Object.keys(s)));
  const out: Sample = {};
  for (const k of keys) out[k] = median(samples.map((s) => s[k] ?? 0));
  return out;
}

export const scaleOutScenario: Scenario = {
  name: 'scale-out',
  title: 'Redis stores, 1/2/4 processes behind a round-robin proxy, one session; Redis round trips per call',
  async run(cfg) {
    const notes: string[] = [];
    let redis: PrivateRedis | undefined;
    let redisError: string | undefined;
    try {
      redis = await startPrivateRedis();
    } catch (e) {
      redisError = errorText(e);
    }
    const sizes = cfg.mode === 'smoke' ? [1, 2] : [1, 2, 4];
    const configs: Config[] = [
      { id: 'memory', nodes: 1, redis: false, start: () => startMemoryNode() },
      { id: 'sdk', nodes: 1, redis: false, start: () => startSdkNode() },
      ...sizes.map((n): Config => ({ id: `redis${n}`, nodes: n, redis: true, start: (prefix) => startRedisCluster(n, redis?.url ?? '', prefix) })),
    ];
    const samples = new Map<string, Sample[]>();
    const failed = new Map<string, string>();
    try {
      for (let run = 0; run < cfg.runs; run++) {
        for (const c of configs) {
          if (failed.has(c.id)) continue;
          if (c.redis && !redis) {
            failed.set(c.id, redisError ?? 'no redis-server');
            continue;
          }
          try {
            const s = await measure(() => c.start(`bench:${c.id}:${run}:`), cfg, c.nodes, c.redis ? redis : undefined, notes, c.id);
            samples.set(c.id, [...(samples.get(c.id) ?? []), s]);
          } catch (e) {
            failed.set(c.id, errorText(e));
          }
          // Each deployment starts on an empty Redis (and the streams of the last one go).
          if (c.redis) await redis?.admin.flushall().catch(() => {});
        }
      }
    } finally {
      await redis?.stop();
    }
    const result = new Map<string, Sample | string>();
    for (const c of configs) {
      const list = samples.get(c.id);
      result.set(c.id, list?.length ? medians(list) : (failed.get(c.id) ?? 'not measured'));
    }
    const cell = (id: string, key: string): Cell => {
      const r = result.get(id);
      return typeof r === 'string' ? r : r?.[key];
    };

    const rows: Row[] = [];
    for (const m of LOAD_METRICS) rows.push({ scenario: 'scale-out', metric: `1 process, memory store, no proxy: ${m.metric}`, unit: m.unit, better: m.better, ours: cell('memory', m.key), sdk: cell('sdk', m.key) });
    for (const n of sizes) {
      const id = `redis${n}`;
      const where = `redis, ${n} process${n > 1 ? 'es' : ''} behind proxy`;
      for (const m of LOAD_METRICS) rows.push({ scenario: 'scale-out', metric: `${where}: ${m.metric}`, unit: m.unit, better: m.better, ours: cell(id, m.key), raw: cell('memory', m.key) });
      rows.push({ scenario: 'scale-out', metric: `${where}: Redis commands executed per tools/call`, unit: 'commands', better: 'lower', ours: cell(id, 'commands') });
      rows.push({ scenario: 'scale-out', metric: `${where}: Redis round trips per tools/call`, unit: 'round trips', better: 'lower', ours: cell(id, 'roundTrips') });
      const r = result.get(id);
      if (r && typeof r !== 'string') {
        const cmds = Object.entries(r).filter(([k]) => k.startsWith(CMD)).map(([k, v]) => `${k.slice(CMD.length)} ${v.toFixed(2)}`);
        const shares = Object.entries(r).filter(([k]) => k.startsWith(SHARE)).map(([, v]) => `${(v * 100).toFixed(0)}%`);
        notes.push(`scale-out ${where}: per tools/call Redis executed ${cmds.join(', ') || 'nothing'}; MCP requests per node ${shares.join(' / ')}`);
      }
    }
    notes.push(
      "scale-out: raw column = the 1-process memory-store baseline (no Redis, no proxy), so ours/raw is what the proxy hop and Redis cost; sdk '—': the SDK keeps a session in the process that created it, so it cannot serve one session from several processes. All processes (driver, proxy, nodes, redis-server) share this machine's cores.",
    );
    notes.push(`scale-out: ${cfg.runs} run(s) of ${cfg.loopMs} ms loops per deployment in ${cfg.mode} mode`);
    return { rows, notes };
  },
};
