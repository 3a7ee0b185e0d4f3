/**
 * (3b) Streamable HTTP with each side's own client as the driver: our Client +
 * StreamableHttpClientTransport ↔ our server, the SDK's Client + transport ↔ the SDK's server,
 * raw keep-alive node:http requests ↔ the raw server. Sequential and 64 in flight, both modes.
 */
import { ourHttp, rawHttp, sdkHttp, type Driver } from '../lib/clients.js';
import { measureCalls } from '../lib/measure-calls.js';
import type { Row } from '../lib/report.js';
import { interleave, toRows, type Sample } from '../lib/runs.js';
import { startHttpFixture, type FixtureName } from '../lib/spawn.js';
import type { Scenario } from './scenario.js';
import type { BenchConfig } from '../lib/config.js';

/** A fresh server child per run, so one run's leftovers never slow the next. */
async function withServer(fixture: FixtureName, args: string[], open: (url: string) => Promise<Driver>, cfg: BenchConfig): Promise<Sample> {
  const child = await startHttpFixture(fixture, args);
  try {
    return await measureCalls(() => open(child.url), cfg);
  } finally {
    await child.stop();
  }
}

export const httpClientScenario: Scenario = {
  name: 'http-client',
  title: "Streamable HTTP, each side's own client as the driver",
  async run(cfg) {
    const rows: Row[] = [];
    for (const mode of ['json', 'sse'] as const) {
      const flag = mode === 'json' ? ['--json'] : [];
      const outcome = await interleave(cfg.runs, {
        ours: () => withServer('ours-http', flag, ourHttp, cfg),
        sdk: () => withServer('sdk-http', flag, sdkHttp, cfg),
        raw: () => withServer('raw-http', mode === 'sse' ? ['--sse'] : [], (url) => rawHttp(url), cfg),
      });
      rows.push(
        ...toRows(
          'http-client',
          [
            { key: 'seqRate', metric: `${mode} sequential`, unit: 'calls/s', better: 'higher' },
            { key: 'seqP50', metric: `${mode} sequential p50`, unit: 'ms', better: 'lower' },
            { key: 'parRate', metric: `${mode} 64 in flight`, unit: 'calls/s', better: 'higher', headline: true },
            { key: 'parP50', metric: `${mode} 64 in flight p50`, unit: 'ms', better: 'lower' },
            { key: 'parP99', metric: `${mode} 64 in flight p99`, unit: 'ms', better: 'lower' },
          ],
          outcome,
        ),
      );
    }
    return { rows, notes: [] };
  },
};
