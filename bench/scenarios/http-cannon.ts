/**
 * (3) Streamable HTTP under autocannon: POST tools/call on one initialized session at 1, 16 and
 * 64 connections, JSON-response mode and SSE mode. Servers run in child processes; their peak
 * RSS (VmHWM, reset before each load) is read from /proc. raw = node:http doing JSON.parse +
 * JSON.stringify of the fixed result, no sessions.
 */
import { autocannonMissing, cannon } from '../lib/cannon.js';
import { errorText } from '../lib/load.js';
import { MiB, procMemory, resetPeakRss } from '../lib/memory.js';
import { keepAliveAgent, RawHttpSession } from '../lib/raw-http-client.js';
import type { Impl, Row } from '../lib/report.js';
import { interleave, toRows, type MetricDef, type Sample } from '../lib/runs.js';
import { startHttpFixture, type FixtureName, type HttpChild } from '../lib/spawn.js';
import type { Scenario } from './scenario.js';

const FIXTURES: Record<Exclude<Impl, 'tmcp'>, FixtureName> = { ours: 'ours-http', sdk: 'sdk-http', raw: 'raw-http' };

interface Target {
  child: HttpChild;
  headers: Record<string, string>;
}

async function startTarget(impl: Exclude<Impl, 'tmcp'>, mode: 'json' | 'sse'): Promise<Target> {
  const args = impl === 'raw' ? (mode === 'sse' ? ['--sse'] : []) : mode === 'json' ? ['--json'] : [];
  const child = await startHttpFixture(FIXTURES[impl], args);
  const agent = keepAliveAgent(1);
  try {
    const s = await RawHttpSession.open(child.url, agent);
    // One real call first: a JSON-RPC error would still be HTTP 200 and pass unnoticed by autocannon.
    const r = (await s.request('tools/call', { name: 'echo', arguments: { text: 'hello' } })) as { content?: { text?: string }[] };
    if (r.content?.[0]?.text !== 'hello') throw new Error(`unexpected tools/call result ${JSON.stringify(r)}`);
    return { child, headers: s.headers };
  } catch (e) {
    await child.stop();
    throw e;
  } finally {
    agent.destroy();
  }
}

function load(t: Target, connections: number, seconds: number, amount?: number): Promise<Awaited<ReturnType<typeof cannon>>> {
  return cannon({ url: t.child.url, method: 'POST', headers: t.headers, body: RawHttpSession.toolsCallBody, connections, duration: seconds, amount });
}

export const httpCannonScenario: Scenario = {
  name: 'http',
  title: 'Streamable HTTP, autocannon POST tools/call on one session',
  async run(cfg) {
    const msg = autocannonMissing();
    if (msg !== undefined) {
      return { rows: [{ scenario: 'http', metric: 'autocannon', unit: 'req/s', better: 'higher', ours: msg, sdk: msg, raw: msg }], notes: [] };
    }
    const rows: Row[] = [];
    const notes: string[] = [];
    for (const mode of ['json', 'sse'] as const) {
      const targets: Partial<Record<Impl, Target | string>> = {};
      for (const impl of ['ours', 'sdk', 'raw'] as const) {
        try {
          const t = await startTarget(impl, mode);
          // Warm-up (JIT, sockets): half a load, at most 1 s.
          if (cfg.cannonAmount === undefined) await load(t, 16, Math.min(1, cfg.cannonSeconds / 2));
          targets[impl] = t;
        } catch (e) {
          targets[impl] = errorText(e);
        }
      }
      const measure = (impl: Impl) => async (): Promise<Sample> => {
        const t = targets[impl];
        if (typeof t === 'string' || !t) throw new Error(t ?? 'not started');
        const s: Sample = {};
        let peak = 0;
        for (const c of cfg.connections) {
          resetPeakRss(t.child.pid);
          const r = await load(t, c, cfg.cannonSeconds, cfg.cannonAmount);
          peak = Math.max(peak, procMemory(t.child.pid)?.peakRss ?? NaN);
          if (r.non2xx + r.errors > 0) notes.push(`http ${mode} ${impl} c=${c}: ${r.non2xx} non-2xx, ${r.errors} errors of ${r.total} requests`);
          if (r.total === 0) throw new Error(`no request completed at ${c} connections`);
          s[`rps${c}`] = r.requestsPerSec;
          s[`p50_${c}`] = r.p50Ms;
          s[`p99_${c}`] = r.p99Ms;
        }
        s.peak = peak / MiB;
        return s;
      };
      try {
        const outcome = await interleave(cfg.runs, { ours: measure('ours'), sdk: measure('sdk'), raw: measure('raw') });
        const defs: MetricDef[] = [];
        for (const c of cfg.connections) {
          defs.push({ key: `rps${c}`, metric: `${mode} c=${c}`, unit: 'req/s', better: 'higher', headline: c !== 16 });
          defs.push({ key: `p50_${c}`, metric: `${mode} c=${c} p50`, unit: 'ms', better: 'lower' });
          defs.push({ key: `p99_${c}`, metric: `${mode} c=${c} p99`, unit: 'ms', better: 'lower' });
        }
        defs.push({ key: 'peak', metric: `${mode} server peak RSS under load`, unit: 'MiB', better: 'lower' });
        rows.push(...toRows('http', defs, outcome));
      } finally {
        for (const t of Object.values(targets)) if (typeof t === 'object') await t.child.stop();
      }
    }
    return { rows, notes };
  },
};
