/**
 * Side-by-side benchmark: every scenario for ours, the official SDK and (where one applies) a
 * raw reference, in one run, reported as ratios.
 *   node --expose-gc dist/bench/run.js [--quick | --smoke] [--only <scenario>[,<scenario>]]
 * Writes bench/results/<ISO date>.json, latest.md and latest.svg (not in --smoke mode; an
 * --only run writes the dated JSON only).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, type BenchConfig } from './lib/config.js';
import { errorText } from './lib/load.js';
import { markdownTable, type Row } from './lib/report.js';
import { headlineSvg } from './lib/svg.js';
import { SCENARIOS } from './scenarios/index.js';

// The SDK's HTTP client adds an abort listener per request to one shared signal, so Node warns
// about it once per request past 1,500; print each kind of warning once instead of thousands.
process.removeAllListeners('warning');
const warned = new Set<string>();
process.on('warning', (w) => {
  const key = `${w.name}: ${w.message.replace(/\d+/g, 'N')}`;
  if (warned.has(key)) return;
  warned.add(key);
  process.stderr.write(`bench: warning (shown once): ${w.name}: ${w.message}\n`);
});

let cfg: BenchConfig;
try {
  cfg = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(2);
}
const unknown = cfg.only.filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length) {
  process.stderr.write(`Unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
const selected = cfg.only.length ? SCENARIOS.filter((s) => cfg.only.includes(s.name)) : SCENARIOS;
const fmtLoad = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' / ');
const loadBefore = loadavg();
const started = new Date();
const rows: Row[] = [];
const notes: string[] = [];
const timings: Record<string, number> = {};

process.stderr.write(`bench: mode=${cfg.mode}, ${selected.length} scenario(s), load ${fmtLoad(loadBefore)}\n`);
for (const s of selected) {
  const t0 = Date.now();
  process.stderr.write(`bench: ${s.name} — ${s.title} …\n`);
  try {
    const r = await s.run(cfg);
    rows.push(...r.rows);
    notes.push(...r.notes);
  } catch (e) {
    // A scenario that crashes is reported as such; the others still run.
    const msg = errorText(e);
    rows.push({ scenario: s.name, metric: 'scenario failed', unit: '-', better: 'higher', ours: msg, sdk: msg, raw: msg });
  }
  timings[s.name] = (Date.now() - t0) / 1000;
  process.stderr.write(`bench: ${s.name} done in ${timings[s.name]?.toFixed(1)} s\n`);
}
const loadAfter = loadavg();
const cpu = cpus();
const machine = {
  cpu: cpu[0]?.model ?? 'unknown',
  cores: cpu.length,
  memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  loadBefore,
  loadAfter,
};

const header = [
  `Mode: ${cfg.mode} (${cfg.runs} run(s) per side, medians) — ${started.toISOString()}`,
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node} (${machine.platform})`,
  `Load average (1/5/15 min): before ${fmtLoad(loadBefore)}, after ${fmtLoad(loadAfter)}`,
].join('  \n');
const table = markdownTable(rows);
const footnotes = notes.length ? `\n\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}` : '';
const md = `${header}\n\n${table}${footnotes}\n`;
process.stdout.write(`\n${md}`);

if (cfg.mode !== 'smoke') {
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const stamp = started.toISOString().replace(/:/g, '-');
  writeFileSync(`${dir}${stamp}.json`, JSON.stringify({ date: started.toISOString(), mode: cfg.mode, only: cfg.only, machine, config: cfg, timings, rows, notes }, null, 2) + '\n');
  if (!cfg.only.length) {
    writeFileSync(`${dir}latest.md`, md);
    writeFileSync(`${dir}latest.svg`, headlineSvg(rows, `${cfg.mode} run ${started.toISOString()}, ${machine.cpu} ×${machine.cores}, Node ${machine.node}`));
  }
  process.stderr.write(`bench: results written to ${dir}\n`);
}
