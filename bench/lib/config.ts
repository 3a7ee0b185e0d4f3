/** Run modes and the budgets each gives every scenario. */

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
  idleSessions: number[];
  longRunCalls: number;
  only: string[];
}

const PRESETS: Record<Mode, Omit<BenchConfig, 'mode' | 'only'>> = {
  smoke: { runs: 1, loopMs: 300, seqOps: 30, parOps: 200, warmupOps: 5, cannonSeconds: 1, cannonAmount: 150, connections: [1, 64], payloadMiB: [1], payloadReps: 1, idleSessions: [200], longRunCalls: 500 },
  quick: { runs: 3, loopMs: 1500, seqOps: 20_000, parOps: 100_000, warmupOps: 200, cannonSeconds: 2, connections: [1, 16, 64], payloadMiB: [1, 4, 8, 16], payloadReps: 3, idleSessions: [2_000], longRunCalls: 50_000 },
  full: { runs: 5, loopMs: 4000, seqOps: 100_000, parOps: 500_000, warmupOps: 1000, cannonSeconds: 5, connections: [1, 16, 64], payloadMiB: [1, 4, 8, 16], payloadReps: 5, idleSessions: [10_000, 100_000], longRunCalls: 1_000_000 },
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
