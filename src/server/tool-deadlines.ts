/**
 * Tool time limits without a timer per call: a far deadline is an entry in one set, swept by one
 * unref'd process timer at most 250 ms late; a near one (under 2 s) gets its own (unref'd) timer so
 * tight limits stay precise. A tool's deadline never keeps the process alive by itself: a call
 * whose handler never settles (cancelled, or its client gone) must not hold an exiting process.
 */
const TICK_MS = 250;
const NEAR_MS = 2000;

interface Entry {
  deadline: number;
  fire: () => void;
}

const entries = new Set<Entry>();
let ticker: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = Date.now();
  for (const e of entries) {
    if (e.deadline <= now) {
      entries.delete(e);
      e.fire();
    }
  }
  if (entries.size === 0 && ticker) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

/** Calls `fire` once `ms` have passed unless the returned canceller runs first. */
export function afterDeadline(ms: number, fire: () => void): () => void {
  if (ms < NEAR_MS) {
    const timer = setTimeout(fire, ms);
    timer.unref();
    return () => clearTimeout(timer);
  }
  const e: Entry = { deadline: Date.now() + ms, fire };
  entries.add(e);
  if (!ticker) {
    ticker = setInterval(sweep, TICK_MS);
    ticker.unref();
  }
  return () => {
    entries.delete(e);
  };
}
