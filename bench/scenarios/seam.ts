/**
 * The runtime seam's cost (issue 9): our server with the seam unused (no middleware or admission
 * hook installed; the default limits are always on) against the same server with rate limiting
 * installed (memory store, an unreachable budget, so every call is counted), and the SDK, in one
 * run. Columns: ours = protection on, raw = OUR server with the seam unused (not a raw reference
 * here), sdk = the official SDK. ours/raw is the overhead ratio (1.00 = free).
 * HTTP: autocannon, JSON mode, c=64 on one session. stdio: our Client driving the child, 64 in flight.
 */
import { autocannonMissing } from '../lib/cannon.js';
import { ourStdio, sdkStdio } from '../lib/clients.js';
import { measureCalls } from '../lib/measure-calls.js';
import type { Row } from '../lib/report.js';
import { interleave, toRows, type Sample } from '../lib/runs.js';
import { httpRate64 } from '../lib/rate64.js';
import type { Scenario } from './scenario.js';

const httpRate = (fixture: 'ours-http' | 'sdk-http', args: string[], seconds: number, amount: number | undefined): Promise<Sample> => httpRate64(fixture, args, seconds, amount);

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
