/**
 * The runtime seam's cost (issue 9): our server with the seam unused (no middleware or admission
 * hook installed; the default limits are always on) against the same server with rate limiting
 * installed (memory store, an unreachable budget, so every call is counted), and the SDK, in one
 * run. Columns: ours = protection on, raw = OUR server with the seam unused (not a raw reference
 * here), sdk = the official SDK. ours/raw is the overhead ratio (1.00 = free).
 * HTTP: autocannon, JSON mode, c=64 on one session. stdio: our Client driving the child, 64 in flight.
 */
import { autocannonMissing, cannon } from '../lib/cannon.js';
import { ourStdio, sdkStdio } from '../lib/clients.js';
import { errorText } from '../lib/load.js';
import { measureCalls } from '../lib/measure-calls.js';
import { keepAliveAgent, RawHttpSession } from '../lib/raw-http-client.js';
import type { Row } from '../lib/report.js';
import { interleave, toRows, type Sample } from '../lib/runs.js';
import { startHttpFixture, type HttpChild } from '../lib/spawn.js';
import type { Scenario } from './scenario.js';

async function httpRate(fixture: 'ours-http' | 'sdk-http', args: string[], seconds: number, amount: number | undefined): Promise<Sample> {
  const child: HttpChild = await startHttpFixture(fixture, ['--json', ...args]);
  const agent = keepAliveAgent(1);
  try {
    const s = await RawHttpSession.open(child.url, agent);
    const r = (await s.request('tools/call', { name: 'echo', arguments: { text: 'hello' } })) as { content?: { text?: string }[] };
    if (r.content?.[0]?.text !== 'hello') throw new Error(`unexpected tools/call result ${JSON.stringify(r)}`);
    const load = (c: number, secs: number) => cannon({ url: child.url, method: 'POST', headers: s.headers, body: RawHttpSession.toolsCallBody, connections: c, duration: secs, amount });
    if (amount === undefined) await load(16, Math.min(1, seconds / 2));
    const out = await load(64, seconds);
    if (out.total === 0 || out.non2xx + out.errors > 0) throw new Error(`${out.non2xx} non-2xx, ${out.errors} errors of ${out.total}`);
    return { http64: out.requestsPerSec };
  } finally {
    agent.destroy();
    await child.stop();
  }
}

export const seamScenario: Scenario = {
  name: 'seam',
  title: 'the runtime seam: protection on (rate limiting + default limits) vs the seam unused, HTTP c=64 and stdio 64 in flight',
  async run(cfg) {
    const rows: Row[] = [];
    const missing = autocannonMissing();
    if (missing === undefined) {
      const outcome = await interleave(cfg.runs, {
        ours: () => httpRate('ours-http', ['--protect'], cfg.cannonSeconds, cfg.cannonAmount),
        raw: () => httpRate('ours-http', [], cfg.cannonSeconds, cfg.cannonAmount),
        sdk: () => httpRate('sdk-http', [], cfg.cannonSeconds, cfg.cannonAmount),
      });
      rows.push(...toRows('seam', [{ key: 'http64', metric: 'http json c=64, protection on (raw = ours, seam unused)', unit: 'req/s', better: 'higher' }], outcome));
    } else {
      rows.push({ scenario: 'seam', metric: 'autocannon', unit: 'req/s', better: 'higher', ours: missing, sdk: missing, raw: missing });
    }
    const stdio = await interleave(cfg.runs, {
      ours: () => measureCalls(() => ourStdio(['--protect']), cfg),
      raw: () => measureCalls(() => ourStdio(), cfg),
      sdk: () => measureCalls(() => sdkStdio(), cfg),
    });
    rows.push(...toRows('seam', [{ key: 'parRate', metric: 'stdio 64 in flight, protection on (raw = ours, seam unused)', unit: 'calls/s', better: 'higher' }], stdio));
    return { rows, notes: ['seam: the raw column is our own server with no middleware or admission hook installed, not a raw reference; ours/raw is the overhead of the seam in use.'] };
  },
};
