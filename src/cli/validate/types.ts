/**
 * What `erlmcp validate` reports: one finding per check, each with the level of the requirement
 * it tests (the spec's MUST / SHOULD, or `info` for an observation) and the spec section it cites.
 */

/** MUST and SHOULD are the spec's requirement levels (RFC 2119); info is an observation only. */
export type CheckLevel = 'MUST' | 'SHOULD' | 'info';

/** `skip`: the check does not apply to this server (the reason is in `detail`). */
export type CheckStatus = 'pass' | 'fail' | 'skip' | 'info';

export interface CheckResult {
  /** Stable identifier, e.g. `http.session.deleted`. */
  id: string;
  /** What is required, in one sentence. */
  title: string;
  level: CheckLevel;
  status: CheckStatus;
  /** Spec section the check follows, e.g. `basic/transports#session-management` (2025-11-25). */
  spec: string;
  /** What was observed. */
  detail: string;
  durationMs: number;
}

export interface ProbeFigures {
  method: string;
  inFlight: number;
  calls: number;
  errors: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ValidateReport {
  tool: { name: 'erlmcp validate'; version: string };
  node: string;
  /** The target as given: a URL, or the stdio command line. */
  target: string;
  transport: 'http' | 'stdio';
  startedAt: string;
  durationMs: number;
  server?: { name: string; version: string; protocolVersion: string; capabilities: Record<string, unknown> };
  checks: CheckResult[];
  probe: ProbeFigures[];
  summary: { mustFailed: number; shouldFailed: number; passed: number; skipped: number; info: number; failed: number };
}

/** Spec revision every cited section belongs to. */
export const SPEC_REVISION = '2025-11-25';

export function summarize(checks: CheckResult[]): ValidateReport['summary'] {
  const s = { mustFailed: 0, shouldFailed: 0, passed: 0, skipped: 0, info: 0, failed: 0 };
  for (const c of checks) {
    if (c.status === 'pass') s.passed++;
    else if (c.status === 'skip') s.skipped++;
    else if (c.status === 'info') s.info++;
    else {
      s.failed++;
      if (c.level === 'MUST') s.mustFailed++;
      else if (c.level === 'SHOULD') s.shouldFailed++;
    }
  }
  return s;
}
