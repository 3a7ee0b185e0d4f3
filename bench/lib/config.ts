/**
 * Run modes and the budgets each gives every scenario. The spec's budget: `--quick` under 2
 * minutes and the full run under 20 minutes on 2 cores, several runs per side in full mode.
 * Per-scenario seconds of every run are in the results JSON (`timings`).
 */

export type Mode = 'smoke' | 'quick' | 'full';

export interface BenchConfig {
  mode: Mode;
  /** Repetitions per implementation; the report shows the median. */
  runs: number;
  /** Time bound of one measured closed loop. */
  loopMs: number;
  /** Count bound of one sequential loop and of one 64-in-flight loop. */
  seqOps: number;
  parOps: number;
  warmupOps: number;
  /** autocannon seconds per (implementation, mode, connections). */
  cannonSeconds: number;
  /** When set, each autocannon load is this many requests instead of cannonSeconds. */
  cannonAmount?: number;
  connections: number[];
  payloadMiB: number[];
  payloadReps: number;
  /** transports: loop bound there (8 transports × 2 sides, so its loops are shorter). */
  transportsLoopMs: number;
  /** idle-sessions: the session counts ours opens. */
  idleSessions: number[];
  /** idle-sessions: the SDK opens only the counts up to this; larger ones show '—' and a note. */
  idleSessionsSdkMax: number;
  /** long-run, JSON mode: tools/call on ours, and on the SDK. */
  longRunCalls: number;
  longRunSdkCalls: number;
  /** long-run, SSE mode: tools/call on each side. */
  longRunSseCalls: number;
  only: string[];
}

type Preset = Omit<BenchConfig, 'mode' | 'only'>;

const PRESETS: Record<Mode, Preset> = {
  // Every scenario once, tiny: `npm test` runs this (bench.smoke.test.ts, 90 s timeout).
  smoke: {
    runs: 1, loopMs: 300, seqOps: 30, parOps: 200, warmupOps: 5, cannonSeconds: 1, cannonAmount: 150, connections: [1, 64],
    payloadMiB: [1], payloadReps: 1, transportsLoopMs: 300,
    idleSessions: [200], idleSessionsSdkMax: 200, longRunCalls: 500, longRunSdkCalls: 500, longRunSseCalls: 500,
  },
  // About 100 s: one run per side (no median), 0.6 s loops (0.5 s in transports), 0.75 s
  // autocannon loads at the headline 1 and 64 connections, the headline sizes only (1 and 16
  // MiB), one idle-session count, a short long run (it still shows a per-call leak: the SDK's
  // JSON mode grows ≈5 KiB per call).
  quick: {
    runs: 1, loopMs: 600, seqOps: 20_000, parOps: 100_000, warmupOps: 100, cannonSeconds: 0.75, connections: [1, 64],
    payloadMiB: [1, 16], payloadReps: 3, transportsLoopMs: 500,
    idleSessions: [2_000], idleSessionsSdkMax: 2_000, longRunCalls: 5_000, longRunSdkCalls: 5_000, longRunSseCalls: 5_000,
  },
  // About 15 min on an idle 2-core machine: 3 runs per side (median) of 2 s loops and 2 s
  // autocannon loads; the long-run and idle-sessions counts the spec asks of ours.
  full: {
    runs: 3, loopMs: 2000, seqOps: 100_000, parOps: 500_000, warmupOps: 300, cannonSeconds: 2, connections: [1, 16, 64],
    payloadMiB: [1, 4, 8, 16], payloadReps: 5,
    // 3 runs × 14 (transport, side) pairs × 2 loops: 1 s loops keep the scenario under 2 min.
    transportsLoopMs: 1000,
    idleSessions: [10_000, 100_000],
    // 100,000 SDK sessions take ≈4.7 GiB and over 2 minutes to open (≈800/s); its per-session
    // cost is already flat from 2,000 to 10,000 (≈42 KiB heap), so 10,000 shows it.
    idleSessionsSdkMax: 10_000,
    // The spec's leak check: a million calls on ours.
    longRunCalls: 1_000_000,
    // The SDK's JSON mode keeps ≈5 KiB of heap per call (263 MiB after 50,000) and runs at
    // 1.3–2.7k calls/s: a million would take 6–13 minutes and ≈5 GiB. 200,000 shows the growth.
    longRunSdkCalls: 200_000,
    // SSE mode is the secondary leak check (stream bookkeeping per call); 200,000 on each side
    // keeps the scenario's SSE half near 1–4 minutes.
    longRunSseCalls: 200_000,
  },
};

export function parseArgs(argv: readonly string[]): BenchConfig {
  let mode: Mode = 'full';
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') mode = 'quick';
    else if (a === '--smoke') mode = 'smoke';
    else if (a === '--full') mode = 'full';
    else if (a === '--only') {
      const v = argv[++i];
      if (!v) throw new Error('--only needs a scenario name');
      only.push(...v.split(','));
    } else if (a?.startsWith('--only=')) only.push(...a.slice(7).split(','));
    else throw new Error(`Unknown argument ${a}; usage: run.js [--quick|--smoke|--full] [--only <scenario>[,<scenario>]]`);
  }
  return { mode, only, ...PRESETS[mode] };
}
