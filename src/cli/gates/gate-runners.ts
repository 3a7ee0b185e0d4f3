/**
 * The three kinds of gate. Each runs as a process with its time limit — validate and bench as
 * this same CLI with --json — and comes back as a GateRecord for the receipt.
 */
import { fileURLToPath } from 'node:url';
import type { GateConfig } from './config.js';
import { runProcess, type ProcessOutcome } from './process.js';
import type { GateRecord, Receipt } from './receipt.js';

const CLI = fileURLToPath(new URL('../main.js', import.meta.url));
const quote = (w: string) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

function ended(o: ProcessOutcome, limitS: number): string | undefined {
  if (o.timedOut) return `timed out after ${limitS} s`;
  if (o.signal) return `killed by ${o.signal}`;
  return undefined;
}

function lastLine(text: string): string {
  return text.split('\n').filter((l) => l.trim()).slice(-1)[0]?.trim().slice(0, 300) ?? '';
}

export async function runGate(gate: GateConfig, previous: Receipt | undefined, cwd: string): Promise<GateRecord> {
  const startedAt = new Date().toISOString();
  const base = { name: gate.name, type: gate.type, startedAt };
  const limitMs = gate.timeoutSeconds * 1000;

  if (gate.type === 'command') {
    const o = await runProcess('sh', ['-c', gate.command], { cwd: gate.cwd ?? cwd, timeoutMs: limitMs, shell: true });
    const why = ended(o, gate.timeoutSeconds);
    return { ...base, command: gate.command, result: o.code === 0 && !why ? 'pass' : 'fail', detail: why ?? `exit code ${o.code}${o.code === 0 ? '' : `: ${lastLine(o.tail)}`}`, figures: { exitCode: o.code, outputTail: o.tail.slice(-500) }, durationMs: o.durationMs };
  }

  if (gate.type === 'validate') {
    const args = ['validate', '--json', '--quiet', '--probe-ms', '0', ...(gate.callTools ? ['--call-tools'] : []), ...targetArgs(gate.target)];
    const o = await runProcess(process.execPath, [CLI, ...args], { cwd, timeoutMs: limitMs });
    const command = `erlmcp ${args.map(quote).join(' ')}`;
    const why = ended(o, gate.timeoutSeconds);
    let report: { summary: { mustFailed: number; shouldFailed: number; passed: number; skipped: number }; checks: { id: string; level: string; status: string }[] } | undefined;
    try {
      report = JSON.parse(o.stdout);
    } catch {
      // no report: the detail says why
    }
    if (why || !report) return { ...base, command, result: 'fail', detail: why ?? `no report (exit code ${o.code}): ${lastLine(o.tail)}`, figures: {}, durationMs: o.durationMs };
    const failed = (level: string) => report!.checks.filter((c) => c.level === level && c.status === 'fail').map((c) => c.id);
    const ok = report.summary.mustFailed === 0 && (!gate.strict || report.summary.shouldFailed === 0);
    const figures = { ...report.summary, failedMust: failed('MUST'), failedShould: failed('SHOULD') };
    const detail = ok ? `every MUST holds (${report.summary.passed} checks passed)` : `failed: ${[...failed('MUST'), ...(gate.strict ? failed('SHOULD') : [])].join(', ')}`;
    return { ...base, command, result: ok ? 'pass' : 'fail', detail, figures, durationMs: o.durationMs };
  }

  const args = ['bench', '--json', '--quiet', '--in-flight', String(gate.inFlight), '--duration-ms', String(gate.durationMs), ...(gate.tool ? ['--tool', gate.tool] : []), ...(gate.arguments ? ['--arguments', JSON.stringify(gate.arguments)] : []), ...targetArgs(gate.target)];
  const o = await runProcess(process.execPath, [CLI, ...args], { cwd, timeoutMs: limitMs });
  const command = `erlmcp ${args.map(quote).join(' ')}`;
  const why = ended(o, gate.timeoutSeconds);
  let level: { callsPerSecond: number; p50Ms: number; p99Ms: number; cpuUsPerCall?: number; errors: number } | undefined;
  try {
    level = (JSON.parse(o.stdout) as { results: { levels: (typeof level)[] }[] }).results[0]!.levels[0];
  } catch {
    // no figures: the detail says why
  }
  if (why || !level || o.code !== 0) return { ...base, command, result: 'fail', detail: why ?? `no figures (exit code ${o.code}): ${lastLine(o.tail)}`, figures: {}, durationMs: o.durationMs };
  const figures = { callsPerSecond: level.callsPerSecond, p50Ms: level.p50Ms, p99Ms: level.p99Ms, cpuUsPerCall: level.cpuUsPerCall ?? null, errors: level.errors, tolerance: gate.tolerance };
  const prev = previous?.gates.find((g) => g.name === gate.name && g.type === 'bench' && typeof g.figures.callsPerSecond === 'number')?.figures as typeof figures | undefined;
  const problems: string[] = [];
  if (level.errors > 0) problems.push(`${level.errors} call(s) failed`);
  if (prev) {
    const floor = prev.callsPerSecond * (1 - gate.tolerance);
    if (level.callsPerSecond < floor) problems.push(`${level.callsPerSecond} calls/s is below ${Math.round(floor)} (previous ${prev.callsPerSecond} − ${gate.tolerance * 100} %)`);
    if (typeof prev.cpuUsPerCall === 'number' && typeof level.cpuUsPerCall === 'number') {
      const ceiling = prev.cpuUsPerCall * (1 + gate.tolerance);
      if (level.cpuUsPerCall > ceiling) problems.push(`${level.cpuUsPerCall} µs CPU/call is above ${ceiling.toFixed(1)} (previous ${prev.cpuUsPerCall} + ${gate.tolerance * 100} %)`);
    }
  }
  const summary = `${level.callsPerSecond} calls/s, p99 ${level.p99Ms} ms${level.cpuUsPerCall === undefined ? '' : `, ${level.cpuUsPerCall} µs CPU/call`}`;
  const detail = problems.length ? `regression: ${problems.join('; ')}` : prev ? `${summary} (previous ${prev.callsPerSecond} calls/s, within ${gate.tolerance * 100} %)` : `${summary} (baseline: no previous figures)`;
  return { ...base, command, result: problems.length ? 'fail' : 'pass', detail, figures: { ...figures, previousCallsPerSecond: prev?.callsPerSecond ?? null }, durationMs: o.durationMs };
}

/** A target as CLI operands: a URL as it is, a command after `--`. */
function targetArgs(target: string[]): string[] {
  return target.length === 1 && /^https?:\/\//i.test(target[0]!) ? [target[0]!] : ['--', ...target];
}
