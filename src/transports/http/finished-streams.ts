/**
 * POST streams that ended normally keep their events a little longer before the EventStore
 * deletes them. "Ended normally" means the last answer was handed to the kernel, not that the
 * client read it: a client that disconnected a moment earlier (the server had not seen the
 * FIN/RST yet) still resumes with Last-Event-ID (basic/transports#resumability-and-redelivery)
 * and must find its answer. Retention is bounded by time and by count, so a busy server keeps
 * at most `maxStreams` finished streams, each at most `graceMs`.
 */
import type { EventStore } from '../../stores/types.js';

/** How long a finished stream stays resumable. Default 10 s (a client resumes after the `retry` hint, 1 s by default). */
export const DEFAULT_FINISHED_GRACE_MS = 10_000;
/** Finished streams kept at once; the oldest goes first past it. Default 10 000. */
export const DEFAULT_FINISHED_MAX = 10_000;

export class FinishedStreams {
  /** stream id → when it may be deleted; insertion order = expiry order (one grace for all). */
  private readonly due = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly report: (e: Error) => void,
    readonly graceMs = DEFAULT_FINISHED_GRACE_MS,
    readonly maxStreams = DEFAULT_FINISHED_MAX,
  ) {}

  get size(): number {
    return this.due.size;
  }

  /** A stream ended normally: delete its events after the grace (or sooner, past the count). */
  add(streamId: string): void {
    if (!this.store.deleteStream) return;
    this.due.delete(streamId);
    this.due.set(streamId, Date.now() + this.graceMs);
    this.expire();
  }

  /** Deletes what is due now, or too many; re-arms one unref'd timer for the next expiry. */
  private expire(): void {
    const now = Date.now();
    for (const [id, at] of this.due) {
      if (at > now && this.due.size <= this.maxStreams) break;
      this.due.delete(id);
      this.delete(id);
    }
    if (this.timer !== undefined || this.due.size === 0) return;
    const next = this.due.values().next().value as number;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.expire();
      },
      Math.max(1, next - now),
    );
    this.timer.unref();
  }

  private delete(id: string): void {
    this.store.deleteStream!(id).catch((e: unknown) => this.report(e instanceof Error ? e : new Error(String(e))));
  }

  /** Server closing: delete every retained stream now. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const id of this.due.keys()) this.delete(id);
    this.due.clear();
  }
}
