/**
 * In-memory task store (basic/utilities/tasks, 2025-11-25 experimental), the default of
 * `McpServer`. Tasks are bound to the session that created them (the spec's "authorization
 * context"); ids are 128-bit random so they cannot be guessed. Results are kept until the
 * task's TTL runs out.
 */
import { randomBytes } from 'node:crypto';
import type { Task, TaskStatus } from '../protocol/types.js';
import { isTerminal, type TaskOutcome, type TaskStore } from './types.js';

interface Rec {
  owner: string;
  task: Task;
  outcome: TaskOutcome | undefined;
  waiters: (() => void)[];
  expiry: NodeJS.Timeout | undefined;
}

export class MemoryTaskStore implements TaskStore {
  private readonly tasks = new Map<string, Rec>();

  async create(owner: string, ttlMs: number | null, pollIntervalMs: number | undefined): Promise<Task> {
    const now = new Date().toISOString();
    const task: Task = { taskId: randomBytes(16).toString('base64url'), status: 'working', createdAt: now, lastUpdatedAt: now, ttl: ttlMs };
    if (pollIntervalMs !== undefined) task.pollInterval = pollIntervalMs;
    const rec: Rec = { owner, task, outcome: undefined, waiters: [], expiry: undefined };
    if (ttlMs !== null) {
      rec.expiry = setTimeout(() => this.expire(task.taskId), ttlMs);
      rec.expiry.unref();
    }
    this.tasks.set(task.taskId, rec);
    return { ...task };
  }

  private expire(taskId: string): void {
    const rec = this.tasks.get(taskId);
    if (!rec) return;
    this.tasks.delete(taskId);
    for (const w of rec.waiters) w();
  }

  async get(owner: string, taskId: string): Promise<Task | undefined> {
    const rec = this.tasks.get(taskId);
    return rec && rec.owner === owner ? { ...rec.task } : undefined;
  }

  async list(owner: string): Promise<Task[]> {
    const out: Task[] = [];
    for (const rec of this.tasks.values()) if (rec.owner === owner) out.push({ ...rec.task });
    return out;
  }

  async setStatus(taskId: string, status: TaskStatus, statusMessage?: string, outcome?: TaskOutcome): Promise<Task | undefined> {
    const rec = this.tasks.get(taskId);
    if (!rec || isTerminal(rec.task.status)) return undefined;
    rec.task.status = status;
    rec.task.lastUpdatedAt = new Date().toISOString();
    if (statusMessage !== undefined) rec.task.statusMessage = statusMessage;
    if (outcome) rec.outcome = outcome;
    if (isTerminal(status)) {
      const waiters = rec.waiters.splice(0);
      for (const w of waiters) w();
    }
    return { ...rec.task };
  }

  waitForOutcome(owner: string, taskId: string, signal?: AbortSignal): Promise<{ task: Task; outcome: TaskOutcome | undefined } | undefined> {
    const rec = this.tasks.get(taskId);
    if (!rec || rec.owner !== owner) return Promise.resolve(undefined);
    const snapshot = () => {
      const r = this.tasks.get(taskId);
      return r ? { task: { ...r.task }, outcome: r.outcome } : undefined;
    };
    if (isTerminal(rec.task.status)) return Promise.resolve(snapshot());
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = rec.waiters.indexOf(done);
        if (i >= 0) rec.waiters.splice(i, 1);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('Aborted'));
      };
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(snapshot());
      };
      rec.waiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    for (const rec of this.tasks.values()) clearTimeout(rec.expiry);
    this.tasks.clear();
  }
}
