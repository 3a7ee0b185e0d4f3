/**
 * Running one check: a definition (id, requirement, level, spec section) and a function that
 * returns what it observed. A check that throws has failed with that error; a check never
 * takes longer than the run's time limit per step.
 */
import { McpError } from '../../protocol/errors.js';
import type { CheckLevel, CheckResult, CheckStatus } from './types.js';

export interface CheckDef {
  id: string;
  title: string;
  level: CheckLevel;
  /** Section of the 2025-11-25 specification, e.g. `basic/lifecycle#version-negotiation`. */
  spec: string;
}

export interface Outcome {
  status: CheckStatus;
  detail: string;
}

export const pass = (detail: string): Outcome => ({ status: 'pass', detail });
export const fail = (detail: string): Outcome => ({ status: 'fail', detail });
export const skip = (detail: string): Outcome => ({ status: 'skip', detail });
export const info = (detail: string): Outcome => ({ status: 'info', detail });
/** pass when `ok`, else fail. */
export const verdict = (ok: boolean, detail: string): Outcome => (ok ? pass(detail) : fail(detail));

export type Progress = (line: string) => void;

/** Describes an error the way a report should: a JSON-RPC code when there is one. */
export function describeError(e: unknown): string {
  const text = e instanceof McpError ? `JSON-RPC error ${e.code}: ${e.message}` : ((e as Error)?.message ?? String(e));
  // Servers put whole validation dumps in messages: one line, bounded, is what a report needs.
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

export class Recorder {
  readonly results: CheckResult[] = [];
  constructor(
    private readonly progress: Progress,
    private readonly stepTimeoutMs: number,
  ) {}

  /** Runs `fn` as the check `def`; an info-level check that throws reports the error as its observation. */
  async check(def: CheckDef, fn: () => Promise<Outcome> | Outcome): Promise<Outcome> {
    const t0 = performance.now();
    let outcome: Outcome;
    let timer: NodeJS.Timeout | undefined;
    try {
      const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no outcome within ${this.stepTimeoutMs} ms`)), this.stepTimeoutMs);
      });
      outcome = await Promise.race([Promise.resolve().then(fn), limit]);
    } catch (e) {
      outcome = def.level === 'info' ? info(describeError(e)) : fail(describeError(e));
    } finally {
      clearTimeout(timer);
    }
    if (def.level === 'info' && outcome.status === 'fail') outcome = info(outcome.detail);
    const durationMs = Math.round(performance.now() - t0);
    this.results.push({ ...def, ...outcome, durationMs });
    const mark = { pass: 'ok  ', fail: 'FAIL', skip: 'skip', info: 'info' }[outcome.status];
    this.progress(`${mark} ${def.level.padEnd(6)} ${def.id}`);
    return outcome;
  }

  /** Records a check that could not run because something before it failed. */
  skipAll(defs: CheckDef[], reason: string): void {
    for (const d of defs) this.results.push({ ...d, status: 'skip', detail: reason, durationMs: 0 });
  }
}
