/** The bench tables: one row per server and concurrency, and for --compare the ratios. */
import type { Comparison } from './compare.js';
import type { BenchResult, LevelFigures } from './measure.js';

const mib = (b: number | undefined) => (b === undefined ? '-' : `${(b / 1048576).toFixed(0)} MiB`);
const cpu = (l: LevelFigures) => (l.cpuUsPerCall === undefined ? '-' : String(l.cpuUsPerCall));

function table(head: string[], rows: string[][]): string {
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
  return [line(head), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const HEAD = ['server', 'in flight', 'calls/s', 'p50 ms', 'p99 ms', 'CPU µs/call', 'peak RSS', 'errors'];
const row = (r: BenchResult, l: LevelFigures, label: string) => [label, String(l.inFlight), String(l.callsPerSecond), l.p50Ms.toFixed(2), l.p99Ms.toFixed(2), cpu(l), mib(r.peakRssBytes), String(l.errors)];

export function resultTable(r: BenchResult): string {
  return `${r.request} on ${r.server} (${r.target})\n${table(HEAD, r.levels.map((l) => row(r, l, r.server)))}\n`;
}

export function comparisonTable(c: Comparison): string {
  const rows: string[][] = [];
  for (const l of c.levels) rows.push(row(c.a, l.a, `A ${c.a.server}`), row(c.b, l.b, `B ${c.b.server}`));
  const ratios = table(
    ['in flight', 'calls/s A÷B', 'p50 B÷A', 'p99 B÷A', 'CPU/call B÷A'],
    c.levels.map((l) => [String(l.inFlight), `${l.ratios.callsPerSecond}×`, `${l.ratios.p50}×`, `${l.ratios.p99}×`, l.ratios.cpuPerCall === undefined ? '-' : `${l.ratios.cpuPerCall}×`]),
  );
  return [`${c.a.request}: A = ${c.a.target}`, `${' '.repeat(c.a.request.length)}  B = ${c.b.target}`, `medians of ${c.rounds} alternating round(s)`, '', table(HEAD, rows), '', 'ratios (above 1: A is better)', ratios, ''].join('\n');
}
