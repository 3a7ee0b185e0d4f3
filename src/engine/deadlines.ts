/**
 * Request deadlines without a timer per request. A Node timer costs a linked-list insert and
 * removal plus libuv bookkeeping on every request — about a tenth of an in-process tools/call
 * round trip (cpu profile of bench "memory"). A far deadline (the 60 s default) is instead a
 * number on the request, and one timer per process sweeps the endpoints that have such
 * requests every TICK_MS, so it fires at most TICK_MS late. Near deadlines keep their own
 * setTimeout, so tight budgets stay precise.
 */

/** An endpoint whose pending requests have far deadlines. */
export interface DeadlineSource {
  /** Expires what is due at `now`; returns false once nothing with a far deadline is left. */
  sweepDeadlines(now: number): boolean;
}

const TICK_MS = 250;
/** Deadlines at least this far away are swept; nearer ones get a timer of their own. */
export const COARSE_MIN_MS = 2000;

const sources = new Set<DeadlineSource>();
let ticker: NodeJS.Timeout | undefined;

/** Sweeps `source` until it reports nothing left. Like the timers it replaces, this keeps the process alive meanwhile. */
export function watchDeadlines(source: DeadlineSource): void {
  sources.add(source);
  ticker ??= setInterval(sweep, TICK_MS);
}

function sweep(): void {
  const now = Date.now();
  for (const s of sources) if (!s.sweepDeadlines(now)) sources.delete(s);
  if (sources.size === 0) {
    clearInterval(ticker);
    ticker = undefined;
  }
}
