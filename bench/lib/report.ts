/**
 * The report model: one row per (scenario, metric) with a cell per implementation, rendered
 * as the markdown table, the JSON results file and (headline rows) the SVG chart.
 */
/** tmcp (an independent TypeScript MCP server) is measured where a scenario says so. */
export type Impl = 'ours' | 'sdk' | 'raw' | 'tmcp';
export const IMPLS: readonly Impl[] = ['ours', 'sdk', 'raw', 'tmcp'];

/** A number, an error text (the measurement failed), or undefined (not applicable). */
export type Cell = number | string | undefined;

export interface Row {
  scenario: string;
  metric: string;
  unit: string;
  /** Which direction is good; ratios are plain value ratios either way. */
  better: 'higher' | 'lower';
  ours?: Cell;
  sdk?: Cell;
  raw?: Cell;
  tmcp?: Cell;
  /** Shown in the SVG chart of headline ratios. */
  headline?: boolean;
}

export interface ScenarioResult {
  rows: Row[];
  /** Footnotes printed under the table (limits hit, behaviours observed). */
  notes: string[];
}

export function ratio(a: Cell, b: Cell): number | undefined {
  return typeof a === 'number' && typeof b === 'number' && b !== 0 && Number.isFinite(a) && Number.isFinite(b) ? a / b : undefined;
}

/** ours-vs-sdk as "how many times better": above 1 means ours wins, whichever the direction. */
export function advantage(row: Row): number | undefined {
  const r = ratio(row.ours, row.sdk);
  if (r === undefined || r === 0) return undefined;
  return row.better === 'higher' ? r : 1 / r;
}

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a === 0) return '0';
  return x.toPrecision(2);
}

function cell(c: Cell): string {
  if (c === undefined) return '—';
  if (typeof c === 'number') return formatNumber(c);
  // Error texts: short and table-safe; the JSON file keeps them whole.
  const t = c.replace(/\|/g, '/').replace(/\s+/g, ' ');
  return `✗ ${t.length > 60 ? `${t.slice(0, 57)}…` : t}`;
}

function ratioCell(r: number | undefined): string {
  return r === undefined ? '—' : `${r.toFixed(2)}×`;
}

export function label(row: Row): string {
  return `${row.scenario}: ${row.metric} (${row.unit} ${row.better === 'higher' ? '↑' : '↓'})`;
}

export function markdownTable(rows: readonly Row[]): string {
  const lines = ['| scenario | ours | sdk | raw | tmcp | ours/sdk | ours/raw | ours/tmcp |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const r of rows) {
    lines.push(`| ${label(r)} | ${cell(r.ours)} | ${cell(r.sdk)} | ${cell(r.raw)} | ${cell(r.tmcp)} | ${ratioCell(ratio(r.ours, r.sdk))} | ${ratioCell(ratio(r.ours, r.raw))} | ${ratioCell(ratio(r.ours, r.tmcp))} |`);
  }
  return lines.join('\n');
}
