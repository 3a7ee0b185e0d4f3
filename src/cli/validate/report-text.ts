/** The readable report: grouped by level (MUST, SHOULD, info), failures first in each group. */
import type { CheckLevel, CheckResult, ValidateReport } from './types.js';
import { SPEC_REVISION } from './types.js';

const MARK = { fail: '✗', pass: '✓', skip: '-', info: 'i' } as const;
const ORDER = { fail: 0, pass: 1, info: 2, skip: 3 } as const;
export const LEVELS: CheckLevel[] = ['MUST', 'SHOULD', 'info'];

export function byLevel(checks: CheckResult[], level: CheckLevel): CheckResult[] {
  return checks.filter((c) => c.level === level).sort((a, b) => ORDER[a.status] - ORDER[b.status]);
}

export function verdictLine(r: ValidateReport): string {
  const s = r.summary;
  return s.mustFailed
    ? `FAIL: ${s.mustFailed} MUST requirement(s) failed, ${s.shouldFailed} SHOULD failed, ${s.passed} passed, ${s.skipped} not applicable`
    : `PASS: every MUST holds; ${s.shouldFailed} SHOULD failed, ${s.passed} passed, ${s.skipped} not applicable`;
}

export function textReport(r: ValidateReport): string {
  const out: string[] = [];
  out.push(`erlmcp validate ${r.tool.version} — ${r.target} (${r.transport})`);
  if (r.server) out.push(`server: ${r.server.name} ${r.server.version}, protocol ${r.server.protocolVersion}, capabilities: ${Object.keys(r.server.capabilities).join(', ') || 'none'}`);
  out.push(`spec: MCP ${SPEC_REVISION} (sections under docs/specification/${SPEC_REVISION}/)`);
  for (const level of LEVELS) {
    const list = byLevel(r.checks, level);
    if (!list.length) continue;
    const failed = list.filter((c) => c.status === 'fail').length;
    out.push('', `${level}${level === 'info' ? '' : ` — ${failed} failed of ${list.filter((c) => c.status !== 'skip').length}`}`);
    for (const c of list) {
      out.push(`  ${MARK[c.status]} ${c.id}: ${c.title}`);
      out.push(`      ${c.detail}  [${c.spec}]`);
    }
  }
  if (r.probe.length) {
    out.push('', 'performance probe (an indication, not a benchmark)');
    for (const p of r.probe) out.push(`  ${p.method} × ${p.inFlight} in flight: ${p.callsPerSecond} calls/s, p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms (${p.calls} calls, ${p.errors} errors)`);
  }
  out.push('', `${verdictLine(r)} — ${(r.durationMs / 1000).toFixed(1)} s`);
  return `${out.join('\n')}\n`;
}
