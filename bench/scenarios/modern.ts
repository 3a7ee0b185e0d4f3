/**
 * (modern) MCP 2026-07-28 over Streamable HTTP: stateless tools/call (envelope in `_meta`, no
 * session) under autocannon at each connection count, against the official SDK v2
 * (`createMcpHandler` on node:http through @modelcontextprotocol/node) and the raw reference.
 * The server's CPU per request is read from /proc/<pid>/stat around each load, so it does not
 * depend on how fast the load generator is. Ours also runs the same load as a legacy
 * (2025-11-25) tools/call on one warm session, in the same process: the stateless request must
 * not cost the server more than a session call.
 */
import { readFileSync } from 'node:fs';
import { autocannonMissing, cannon, type CannonResult } from '../lib/cannon.js';
import { errorText } from '../lib/load.js';
import { checkModernEcho, MODERN_HEADERS, modernToolsCallBody } from '../lib/modern-http.js';
import { keepAliveAgent, RawHttpSession } from '../lib/raw-http-client.js';
import type { Row } from '../lib/report.js';
import { interleave, toRows, type MetricDef, type Sample } from '../lib/runs.js';
import { startHttpFixture, type FixtureName, type HttpChild } from '../lib/spawn.js';
import type { Scenario } from './scenario.js';

type Side = 'ours' | 'sdk' | 'raw';
const FIXTURES: Record<Side, [FixtureName, string[]]> = { ours: ['ours-http', ['--json']], sdk: ['sdk-v2-http', []], raw: ['raw-http', []] };
const TICKS_PER_SECOND = 100; // Linux USER_HZ

/** User + system CPU time of a process so far, in ms. */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

interface Target {
  child: HttpChild;
  /** Ours only: the headers of one initialized legacy session. */
  legacy?: Record<string, string>;
}

async function startTarget(side: Side): Promise<Target> {
  const [name, args] = FIXTURES[side];
  const child = await startHttpFixture(name, args);
  const agent = keepAliveAgent(1);
  try {
    if (side !== 'raw') await checkModernEcho(child.url, agent);
    const legacy = side === 'ours' ? (await RawHttpSession.open(child.url, agent)).headers : undefined;
    return { child, legacy };
  } catch (e) {
    await child.stop();
    throw e;
  } finally {
    agent.destroy();
  }
}

/** One load and the server CPU it cost, in µs per request. */
async function measured(child: HttpChild, headers: Record<string, string>, body: (n: number) => string, connections: number, seconds: number, amount: number | undefined): Promise<CannonResult & { cpuUs: number }> {
  const c0 = processCpuMs(child.pid);
  const r = await cannon({ url: child.url, method: 'POST', headers, body, connections, duration: seconds, amount });
  const c1 = processCpuMs(child.pid);
  if (r.total === 0) throw new Error(`no request completed at ${connections} connections`);
  return { ...r, cpuUs: ((c1 - c0) * 1000) / r.total };
}

export const modernScenario: Scenario = {
  name: 'modern',
  title: 'MCP 2026-07-28 stateless tools/call over HTTP vs the official SDK v2, and vs our legacy session call',
  async run(cfg) {
    const msg = autocannonMissing();
    if (msg !== undefined) return { rows: [{ scenario: 'modern', metric: 'autocannon', unit: 'req/s', better: 'higher', ours: msg, sdk: msg, raw: msg }], notes: [] };
    const notes: string[] = [];
    const targets: Partial<Record<Side, Target | string>> = {};
    for (const side of ['ours', 'sdk', 'raw'] as const) {
      try {
        const t = await startTarget(side);
        if (cfg.cannonAmount === undefined) {
          // Warm-up (JIT, sockets) of every path measured: half a load, at most 1 s each.
          await cannon({ url: t.child.url, method: 'POST', headers: { ...MODERN_HEADERS }, body: modernToolsCallBody, connections: 16, duration: Math.min(1, cfg.cannonSeconds / 2) });
          if (t.legacy) await cannon({ url: t.child.url, method: 'POST', headers: t.legacy, body: RawHttpSession.toolsCallBody, connections: 16, duration: Math.min(1, cfg.cannonSeconds / 2) });
        }
        targets[side] = t;
      } catch (e) {
        targets[side] = errorText(e);
      }
    }
    const check = (what: string, r: CannonResult) => {
      if (r.non2xx + r.errors > 0) notes.push(`modern ${what}: ${r.non2xx} non-2xx, ${r.errors} errors of ${r.total} requests`);
    };
    const measure = (side: Side) => async (): Promise<Sample> => {
      const t = targets[side];
      if (typeof t === 'string' || !t) throw new Error(t ?? 'not started');
      const s: Sample = {};
      for (const c of cfg.connections) {
        const r = await measured(t.child, { ...MODERN_HEADERS }, modernToolsCallBody, c, cfg.cannonSeconds, cfg.cannonAmount);
        check(`${side} c=${c}`, r);
        s[`rps${c}`] = r.requestsPerSec;
        s[`p50_${c}`] = r.p50Ms;
        s[`p99_${c}`] = r.p99Ms;
        s[`cpu${c}`] = r.cpuUs;
      }
      if (t.legacy) {
        const top = Math.max(...cfg.connections);
        const r = await measured(t.child, t.legacy, RawHttpSession.toolsCallBody, top, cfg.cannonSeconds, cfg.cannonAmount);
        check(`${side} legacy c=${top}`, r);
        s.legacyRps = r.requestsPerSec;
        s.legacyCpu = r.cpuUs;
      }
      return s;
    };
    const rows: Row[] = [];
    try {
      const outcome = await interleave(cfg.runs, { ours: measure('ours'), sdk: measure('sdk'), raw: measure('raw') });
      const top = Math.max(...cfg.connections);
      const defs: MetricDef[] = [];
      for (const c of cfg.connections) {
        defs.push({ key: `rps${c}`, metric: `stateless tools/call c=${c}`, unit: 'req/s', better: 'higher', headline: c === top });
        defs.push({ key: `p50_${c}`, metric: `stateless tools/call c=${c} p50`, unit: 'ms', better: 'lower' });
        defs.push({ key: `p99_${c}`, metric: `stateless tools/call c=${c} p99`, unit: 'ms', better: 'lower' });
        defs.push({ key: `cpu${c}`, metric: `server CPU per stateless tools/call c=${c}`, unit: 'µs', better: 'lower' });
      }
      rows.push(...toRows('modern', defs, outcome));
      const ours = outcome.ours;
      if (typeof ours === 'object' && ours.legacyCpu !== undefined) {
        // Ours only: the same process serving 2025-11-25 on one warm session.
        rows.push({ scenario: 'modern', metric: `ours legacy tools/call on a warm session c=${top}`, unit: 'req/s', better: 'higher', ours: ours.legacyRps });
        rows.push({ scenario: 'modern', metric: `ours server CPU per legacy session tools/call c=${top}`, unit: 'µs', better: 'lower', ours: ours.legacyCpu });
        const modernCpu = ours[`cpu${top}`];
        if (modernCpu !== undefined) notes.push(`modern: ours at c=${top}: a stateless 2026-07-28 tools/call costs the server ${modernCpu.toFixed(1)} µs of CPU, a legacy call on a warm session ${ours.legacyCpu.toFixed(1)} µs (stateless ÷ session = ${(modernCpu / ours.legacyCpu).toFixed(2)}×).`);
      }
      notes.push('modern: sdk = @modelcontextprotocol/server 2.4 createMcpHandler (a fresh McpServer per request, as documented) on node:http via @modelcontextprotocol/node toNodeHandler; raw answers any POST with the fixed result.');
    } finally {
      for (const t of Object.values(targets)) if (typeof t === 'object') await t.child.stop();
    }
    return { rows, notes };
  },
};
