/**
 * `--compare`: two servers measured alternately in one run — round by round, in A B B A order so
 * neither side always goes first — with the median of each figure per side and the ratios.
 * Alternation spreads machine noise (other load, CPU frequency) over both sides alike.
 */
import type { Target } from '../validate/target.js';
import { BenchSession, type BenchOptions, type BenchResult, type LevelFigures } from './measure.js';

export interface ComparedLevel {
  inFlight: number;
  a: LevelFigures;
  b: LevelFigures;
  /** a ÷ b for calls/s (above 1: A is faster); b ÷ a for latency and CPU (above 1: A costs less). */
  ratios: { callsPerSecond: number; p50: number; p99: number; cpuPerCall: number | undefined };
}

export interface Comparison {
  rounds: number;
  a: BenchResult;
  b: BenchResult;
  levels: ComparedLevel[];
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The median of each figure over rounds (calls and errors are summed). */
function combine(runs: LevelFigures[]): LevelFigures {
  const cpu = runs.map((r) => r.cpuUsPerCall).filter((v): v is number => v !== undefined);
  return {
    inFlight: runs[0]!.inFlight,
    calls: runs.reduce((s, r) => s + r.calls, 0),
    errors: runs.reduce((s, r) => s + r.errors, 0),
    ...(runs.find((r) => r.firstError) ? { firstError: runs.find((r) => r.firstError)!.firstError } : {}),
    seconds: Math.round(runs.reduce((s, r) => s + r.seconds, 0) * 1000) / 1000,
    callsPerSecond: Math.round(median(runs.map((r) => r.callsPerSecond))),
    p50Ms: Math.round(median(runs.map((r) => r.p50Ms)) * 1000) / 1000,
    p99Ms: Math.round(median(runs.map((r) => r.p99Ms)) * 1000) / 1000,
    cpuUsPerCall: cpu.length === runs.length ? Math.round(median(cpu) * 10) / 10 : undefined,
  };
}

const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;

export async function compare(targetA: Target, targetB: Target, opts: BenchOptions, rounds: number, progress: (line: string) => void = () => {}): Promise<Comparison> {
  const a = await BenchSession.open(targetA, opts);
  let b: BenchSession;
  try {
    b = await BenchSession.open(targetB, opts);
  } catch (e) {
    await a.close();
    throw e;
  }
  try {
    const runs = new Map<string, LevelFigures[]>();
    for (let round = 0; round < rounds; round++) {
      for (const n of opts.inFlight) {
        const order = round % 2 === 0 ? [a, b] : [b, a];
        for (const s of order) {
          const f = await s.level(n);
          const key = `${s === a ? 'a' : 'b'}:${n}`;
          runs.set(key, [...(runs.get(key) ?? []), f]);
          progress(`round ${round + 1}/${rounds} ${s === a ? 'A' : 'B'} ${s.target.label}: ${n} in flight: ${f.callsPerSecond} calls/s${f.cpuUsPerCall === undefined ? '' : `, ${f.cpuUsPerCall} µs CPU/call`}`);
        }
      }
    }
    const levels = opts.inFlight.map((n): ComparedLevel => {
      const fa = combine(runs.get(`a:${n}`)!);
      const fb = combine(runs.get(`b:${n}`)!);
      return {
        inFlight: n,
        a: fa,
        b: fb,
        ratios: {
          callsPerSecond: ratio(fa.callsPerSecond, fb.callsPerSecond),
          p50: ratio(fb.p50Ms, fa.p50Ms),
          p99: ratio(fb.p99Ms, fa.p99Ms),
          cpuPerCall: fa.cpuUsPerCall !== undefined && fb.cpuUsPerCall !== undefined ? ratio(fb.cpuUsPerCall, fa.cpuUsPerCall) : undefined,
        },
      };
    });
    const result = (s: BenchSession, side: 'a' | 'b'): BenchResult => ({ target: s.target.label, server: s.serverName, request: s.request, pid: s.pid, levels: levels.map((l) => l[side]), peakRssBytes: s.peakRss() });
    return { rounds, a: result(a, 'a'), b: result(b, 'b'), levels };
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}
