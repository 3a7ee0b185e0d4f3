/**
 * Tool time limits without a timer per call: a far deadline is an entry in one set, swept by the
 * engine's process-wide deadline ticker (engine/deadlines.ts) at most 250 ms late; a near one
 * (under 2 s) gets its own timer so tight limits stay precise.
 */
import { COARSE_MIN_MS, watchDeadlines, type DeadlineSource } from '../engine/deadlines.js';

interface Entry {
  deadline: number;
  fire: () => void;
}

const entries = new Set<Entry>();
let watched = false;

const source: DeadlineSource = {
  sweepDeadlines(now: number): boolean {
    for (const e of entries) {
      if (e.deadline <= now) {
        entries.delete(e);
        e.fire();
      }
    }
    watched = entries.size > 0;
    return watched;
  },
};

/** Calls `fire` once `ms` have passed unless the returned canceller runs first. */
export function afterDeadline(ms: number, fire: () => void): () => void {
  if (ms < COARSE_MIN_MS) {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  }
  const e: Entry = { deadline: Date.now() + ms, fire };
  entries.add(e);
  if (!watched) {
    watched = true;
    watchDeadlines(source);
  }
  return () => {
    entries.delete(e);
  };
}
