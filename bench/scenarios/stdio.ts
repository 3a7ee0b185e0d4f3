/**
 * (2) stdio, server against server: each server is a spawned child process driven by the same
 * newline-JSON client (batching its writes per tick, as our StdioClientTransport does) with
 * tools/call echo, sequential and 64 in flight, and the server's CPU per call read from /proc.
 * ours = our McpServer + StdioServerTransport; sdk = the official SDK's McpServer; tmcp = a
 * tmcp server; raw = a child that JSON.parses each line and writes the fixed result, answering
 * each chunk's lines in one write (the floor for the pipe).
 */
import { measureStdioServer } from '../lib/measure-server.js';
import { interleave, toRows } from '../lib/runs.js';
import type { Scenario } from './scenario.js';

export const stdioScenario: Scenario = {
  name: 'stdio',
  title: 'stdio, server against server (one driver), tools/call echo',
  async run(cfg) {
    const outcome = await interleave(cfg.runs, {
      ours: () => measureStdioServer('ours-stdio', cfg),
      sdk: () => measureStdioServer('sdk-stdio', cfg),
      raw: () => measureStdioServer('raw-stdio', cfg),
      tmcp: () => measureStdioServer('tmcp-stdio', cfg),
    });
    const rows = toRows(
      'stdio',
      [
        { key: 'seqRate', metric: 'sequential', unit: 'calls/s', better: 'higher', headline: true },
        { key: 'seqP50', metric: 'sequential p50', unit: 'ms', better: 'lower' },
        { key: 'seqP99', metric: 'sequential p99', unit: 'ms', better: 'lower' },
        { key: 'seqCpu', metric: 'sequential server CPU per call', unit: 'µs', better: 'lower' },
        { key: 'parRate', metric: '64 in flight', unit: 'calls/s', better: 'higher', headline: true },
        { key: 'parP50', metric: '64 in flight p50', unit: 'ms', better: 'lower' },
        { key: 'parP99', metric: '64 in flight p99', unit: 'ms', better: 'lower' },
        { key: 'parCpu', metric: '64 in flight server CPU per call', unit: 'µs', better: 'lower', headline: true },
      ],
      outcome,
    );
    return { rows, notes: ['stdio: one driver for every server (a newline-JSON client batching its writes per tick); server CPU per call from /proc/<pid>/stat of the server process'] };
  },
};
