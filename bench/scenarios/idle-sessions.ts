/**
 * (6) Idle sessions: open N Streamable HTTP sessions (initialize + notifications/initialized,
 * keep-alive agent, 64 at a time) against the server child, read its heap and RSS after a
 * forced GC (GET /__mem), then DELETE every session and read them again: memory should return.
 */
import { errorText } from '../lib/load.js';
import { childMemory, MiB, procMemory, type ChildMemory } from '../lib/memory.js';
import { keepAliveAgent, RawHttpSession } from '../lib/raw-http-client.js';
import type { Row } from '../lib/report.js';
import { BIG_HEAP, startHttpFixture, type FixtureName } from '../lib/spawn.js';
import type { Scenario } from './scenario.js';

const CONCURRENCY = 64;
/** Stop opening sessions past this server RSS: the machine has 24 GiB and other work to do. */
const RSS_LIMIT = 8 * 1024 * MiB;
const MAX_MS = 20 * 60_000;

interface IdleResult {
  heapPerSessionKiB: number;
  rssPerSessionKiB: number;
  openRate: number;
  heapAfterDeleteMiB: number;
  rssAfterDeleteMiB: number;
  opened: number;
  stopped: string | undefined;
}

async function pool(count: number, work: (i: number) => Promise<void>, shouldStop: () => boolean): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && !shouldStop()) await work(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function measureIdle(fixture: FixtureName, n: number): Promise<IdleResult> {
  // Our default cap is 10,000 sessions per process (docs/limits.md): this scenario measures past it.
  const args = fixture === 'ours-http' ? ['--json', '--max-sessions', String(n + 1000)] : ['--json'];
  const child = await startHttpFixture(fixture, args, BIG_HEAP);
  const agent = keepAliveAgent(CONCURRENCY);
  try {
    // Warm-up (JIT, sockets, lazily created maps), so the baseline is a running server's.
    const warm: RawHttpSession[] = [];
    await pool(Math.min(200, n), async () => void warm.push(await RawHttpSession.open(child.url, agent)), () => false);
    await pool(warm.length, async (i) => warm[i]?.delete(), () => false);
    const base: ChildMemory = await childMemory(child.origin);

    const sessions: RawHttpSession[] = [];
    let stopped: string | undefined;
    const t0 = Date.now();
    try {
      await pool(
        n,
        async () => {
          sessions.push(await RawHttpSession.open(child.url, agent));
          if (sessions.length % 1000 === 0) {
            const rss = procMemory(child.pid)?.rss ?? 0;
            if (rss > RSS_LIMIT) stopped = `stopped at ${sessions.length} sessions: server RSS ${(rss / MiB).toFixed(0)} MiB over the ${RSS_LIMIT / MiB} MiB guard`;
            else if (Date.now() - t0 > MAX_MS) stopped = `stopped at ${sessions.length} sessions: ${MAX_MS / 60_000} min time bound`;
          }
        },
        () => stopped !== undefined,
      );
    } catch (e) {
      // A server that ran out of memory shows up here as refused connections; say what happened.
      const died = child.exited();
      throw died ? new Error(`server child exited (${died}) after ${sessions.length} sessions`) : e;
    }
    const openSec = (Date.now() - t0) / 1000;
    const open = await childMemory(child.origin);
    await pool(sessions.length, async (i) => sessions[i]?.delete(), () => false);
    const after = await childMemory(child.origin);
    const count = sessions.length;
    return {
      heapPerSessionKiB: (open.heapUsed - base.heapUsed) / count / 1024,
      rssPerSessionKiB: (open.rss - base.rss) / count / 1024,
      openRate: count / openSec,
      heapAfterDeleteMiB: (after.heapUsed - base.heapUsed) / MiB,
      rssAfterDeleteMiB: (after.rss - base.rss) / MiB,
      opened: count,
      stopped,
    };
  } finally {
    agent.destroy();
    await child.stop();
  }
}

export const idleSessionsScenario: Scenario = {
  name: 'idle-sessions',
  title: 'memory of N idle Streamable HTTP sessions, and after DELETE',
  async run(cfg) {
    const rows: Row[] = [];
    const notes: string[] = [];
    for (const n of cfg.idleSessions) {
      const res: Partial<Record<'ours' | 'sdk', IdleResult | string>> = {};
      // The SDK side is capped (config.ts: its 100,000 sessions cost minutes and GiBs); '—' past it.
      const sides = ([['ours', 'ours-http'], ['sdk', 'sdk-http']] as const).filter(([impl]) => impl === 'ours' || n <= cfg.idleSessionsSdkMax);
      if (n > cfg.idleSessionsSdkMax) notes.push(`idle-sessions: the SDK opens at most ${cfg.idleSessionsSdkMax.toLocaleString('en-US')} sessions in ${cfg.mode} mode (bench/lib/config.ts), so its ${n.toLocaleString('en-US')}-session cells are '—'`);
      for (const [impl, fixture] of sides) {
        try {
          const r = await measureIdle(fixture, n);
          res[impl] = r;
          if (r.stopped) notes.push(`idle-sessions ${impl}: ${r.stopped}`);
        } catch (e) {
          res[impl] = errorText(e);
        }
      }
      const label = n.toLocaleString('en-US');
      const row = (metric: string, unit: string, key: Exclude<keyof IdleResult, 'stopped' | 'opened'>, headline = false): Row => {
        const pick = (v: IdleResult | string | undefined) => (typeof v === 'object' ? v[key] : v);
        return { scenario: 'idle-sessions', metric: `${label} sessions ${metric}`, unit, better: key === 'openRate' ? 'higher' : 'lower', headline, ours: pick(res.ours), sdk: pick(res.sdk) };
      };
      rows.push(
        row('heap per session', 'KiB', 'heapPerSessionKiB', true),
        row('RSS per session', 'KiB', 'rssPerSessionKiB', true),
        row('open rate', 'sessions/s', 'openRate'),
        row('heap after DELETE − baseline', 'MiB', 'heapAfterDeleteMiB'),
        row('RSS after DELETE − baseline', 'MiB', 'rssAfterDeleteMiB'),
      );
    }
    return { rows, notes };
  },
};
