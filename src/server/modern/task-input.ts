/**
 * Client input for a task on the modern era (SEP-2663 §input_required, with the MRTR request
 * shapes of basic/patterns/mrtr). A task's handler asks with the usual `ctx.elicit()`,
 * `ctx.sample()`, `ctx.listRoots()`; the ask cannot become an InputRequiredResult (the request
 * that created the task was answered long ago) and the modern wire has no server→client
 * requests, so the task parks in `input_required`, `tasks/get` lists the pending asks under
 * `inputRequests`, and `tasks/update` delivers `inputResponses` that resume the handler.
 *
 * - Keys are unique over the task's lifetime (SEP-2663): a key asked for again gets a suffix.
 * - Partial answers are fine: the task stays `input_required` until no ask is pending, and
 *   `tasks/get` shows only the asks still pending.
 * - Unknown or already answered keys, and answers of the wrong shape, are ignored
 *   (tasks/update is an eventually consistent acknowledgement).
 * - A cancelled task's pending asks reject, so its handler ends.
 *
 * The pending asks live in the process running the handler (the store holds the status only):
 * with a shared TaskStore, tasks/get and tasks/update for an input_required task must reach the
 * node running it to see or answer its inputRequests.
 */
import { ErrorCode, McpError } from '../../protocol/errors.js';
import { missingCapability } from '../../protocol/eras.js';
import type { ClientCapabilities } from '../../protocol/types.js';
import type { TaskStore } from '../../stores/types.js';
import { answerFits, type InputAsker, type InputMethod, requiredCapability, SHORT } from './input-required.js';

interface Pending {
  method: InputMethod;
  params: Record<string, unknown>;
  resolve(answer: unknown): void;
  reject(e: unknown): void;
}

export class TaskInputs implements InputAsker {
  private readonly pending = new Map<string, Pending>();
  /** Every key ever asked, answered or not: keys are never reused within a task. */
  private readonly used = new Set<string>();
  private readonly counters: Partial<Record<InputMethod, number>> = {};

  constructor(
    private readonly store: TaskStore,
    readonly taskId: string,
    private readonly caps: ClientCapabilities,
    private readonly signal: AbortSignal,
    private readonly onerror: (e: Error) => void,
  ) {
    signal.addEventListener('abort', () => this.rejectAll(), { once: true });
  }

  ask<R>(method: InputMethod, params: Record<string, unknown>, key?: string): Promise<R> {
    if (this.signal.aborted) return Promise.reject(new McpError(ErrorCode.RequestTimeout, 'Task cancelled'));
    // The creating request's capabilities bound what the task may ask for, as for MRTR.
    const need = requiredCapability(method, params, this.caps);
    if (need) return Promise.reject(missingCapability(need, method));
    const k = this.freshKey(method, key);
    const wasIdle = this.pending.size === 0;
    const answer = new Promise<R>((resolve, reject) => {
      this.pending.set(k, { method, params, resolve: resolve as (a: unknown) => void, reject });
    });
    if (wasIdle) this.setStatus('input_required');
    return answer;
  }

  private freshKey(method: InputMethod, key: string | undefined): string {
    let k: string;
    if (key === undefined) {
      do {
        const n = this.counters[method] ?? 0;
        this.counters[method] = n + 1;
        k = `${SHORT[method]}-${n}`;
      } while (this.used.has(k));
    } else {
      k = key;
      for (let n = 2; this.used.has(k); n++) k = `${key}-${n}`;
    }
    this.used.add(k);
    return k;
  }

  /** Asks still waiting for the client, in the InputRequiredResult shape (`tasks/get`'s `inputRequests`). */
  get inputRequests(): Record<string, unknown> | undefined {
    if (this.pending.size === 0) return undefined;
    const out: Record<string, unknown> = {};
    for (const [k, p] of this.pending) out[k] = Object.keys(p.params).length ? { method: p.method, params: p.params } : { method: p.method };
    return out;
  }

  get waiting(): boolean {
    return this.pending.size > 0;
  }

  /**
   * tasks/update: answers the pending asks named in `responses`. Resolves once the status
   * change (back to `working` when nothing is pending any more) is in the store, so a tasks/get
   * after the acknowledgement sees it on any node.
   */
  async answer(responses: unknown): Promise<void> {
    if (typeof responses !== 'object' || responses === null || Array.isArray(responses)) return;
    let answered = false;
    for (const [k, v] of Object.entries(responses as Record<string, unknown>)) {
      const p = this.pending.get(k);
      if (!p || !answerFits(p.method, v)) continue;
      this.pending.delete(k);
      answered = true;
      p.resolve(v);
    }
    // Written before the resumed handler can finish (its own status write comes later), so a
    // terminal status is never overwritten; a terminal task ignores it.
    if (answered && this.pending.size === 0) await this.write('working');
  }

  private rejectAll(): void {
    const reason = new McpError(ErrorCode.RequestTimeout, 'Task cancelled');
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
  }

  private setStatus(status: 'input_required' | 'working'): void {
    this.write(status).catch((e: unknown) => this.onerror(e instanceof Error ? e : new Error(String(e))));
  }

  private async write(status: 'input_required' | 'working'): Promise<void> {
    await this.store.setStatus(this.taskId, status);
  }
}

/** The tasks of each server waiting for input, by task id (this process only). */
const registries = new WeakMap<object, Map<string, TaskInputs>>();

export function taskInputsOf(server: object): Map<string, TaskInputs> {
  let m = registries.get(server);
  if (m === undefined) registries.set(server, (m = new Map()));
  return m;
}
