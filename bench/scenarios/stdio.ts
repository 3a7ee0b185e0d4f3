/**
 * (2) stdio: the server is a spawned child process; tools/call echo sequential and 64 in flight.
 * ours = our Client + StdioClientTransport ↔ our server; sdk likewise; raw = newline-JSON
 * writer ↔ a child that JSON.parses each line and writes the fixed result.
 */
import { ourStdio, rawStdio, sdkStdio } from '../lib/clients.js';
import { measureCalls } from '../lib/measure-calls.js';
import { interleave, toRows } from '../lib/runs.js';
import type { Scenario } from './scenario.js';

export const stdioScenario: Scenario = {
  name: 'stdio',
  title: 'stdio, spawned server, tools/call echo',
  async run(cfg) {
    const outcome = await interleave(cfg.runs, {
      ours: () => measureCalls(() => ourStdio(), cfg),
      sdk: () => measureCalls(() => sdkStdio(), cfg),
      raw: () => measureCalls(() => rawStdio(), cfg),
    });
    const rows = toRows(
      'stdio',
      [
        { key: 'seqRate', metric: 'sequential', unit: 'calls/s', better: 'higher', headline: true },
        { key: 'seqP50', metric: 'sequential p50', unit: 'ms', better: 'lower' },
        { key: 'seqP99', metric: 'sequential p99', unit: 'ms', better: 'lower' },
        { key: 'parRate', metric: '64 in flight', unit: 'calls/s', better: 'higher', headline: true },
        { key: 'parP50', metric: '64 in flight p50', unit: 'ms', better: 'lower' },
        { key: 'parP99', metric: '64 in flight p99', unit: 'ms', better: 'lower' },
      ],
      outcome,
    );
    return { rows, notes: [] };
  },
};
