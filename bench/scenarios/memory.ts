/**
 * (1) In-process: client and server in this process over the memory transport, tools/call
 * echo, sequential and 64 in flight. Measures the engines alone — no I/O, no serialisation.
 */
import { ourMemory, rawMemory, sdkMemory } from '../lib/clients.js';
import { measureCalls } from '../lib/measure-calls.js';
import { interleave, toRows } from '../lib/runs.js';
import type { Scenario } from './scenario.js';

export const memoryScenario: Scenario = {
  name: 'memory',
  title: 'in-process memory transport, tools/call echo',
  async run(cfg) {
    const outcome = await interleave(cfg.runs, {
      ours: () => measureCalls(() => ourMemory(), cfg),
      sdk: () => measureCalls(() => sdkMemory(), cfg),
      raw: () => measureCalls(async () => rawMemory(), cfg),
    });
    const rows = toRows(
      'memory',
      [
        { key: 'seqRate', metric: 'tools/call sequential', unit: 'calls/s', better: 'higher', headline: true },
        { key: 'parRate', metric: 'tools/call 64 in flight', unit: 'calls/s', better: 'higher', headline: true },
      ],
      outcome,
    );
    return { rows, notes: [] };
  },
};
