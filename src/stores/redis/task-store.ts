/**
 * TaskStore on Redis (basic/utilities/tasks, 2025-11-25 experimental): a task created on one
 * node can be polled, awaited, listed and cancelled on any other.
 *
 * Keys: `<prefix>t:<id>` a hash {owner, task (JSON), outcome (JSON, once terminal)} expiring with
 * the task's TTL; `<prefix>to:<owner>` the owner's task ids (for tasks/list), living as long as
 * its longest task. A task with `ttl: null` is kept for UNBOUNDED_TTL_MS, so no key lives forever.
 * Status changes are one Lua call: a terminal task never changes again, so of a completion and a
 * cancellation racing on two nodes exactly one wins. Reaching a terminal status publishes on
 * `<prefix>tc:<id>`: `tasks/result` waiting on any node wakes, and the node running the handler
 * aborts it when the status is `cancelled`. Pub/sub is at-most-once, so every listener also reads
 * the task once its SUBSCRIBE is confirmed and again after a reconnect of the subscriber
 * connection; a waiting `tasks/result` also re-reads every `recheckMs` (missed publish, expiry).
 *
 * The outcome is stored as the caller's JSON and never passes through Lua's cjson (which would
 * turn an empty array into `{}`); only the small task object does.
 */
import { randomBytes } from 'node:crypto';
import type { Task, TaskStatus } from '../../protocol/types.js';
import { isTerminal, type TaskOutcome, type TaskStore } from '../types.js';
import { luaScript, type RedisConnection } from './connection.js';

/** How long a task created with `ttl: null` is kept (24 h, the server's default maximum TTL). */
export const UNBOUNDED_TTL_MS = 24 * 3_600_000;

export interface RedisTaskStoreOptions {
  /** A waiting `tasks/result` re-reads its task this often besides listening (missed publish, expiry). Default 1000 ms. */
  recheckMs?: number;
}

/** Lua: gives a key at least `ttl` ms more (never shortens it). */
const EXTEND = `local function extend(k, ttl)
  if redis.call('PTTL', k) < tonumber(ttl) then redis.call('PEXPIRE', k, ttl) end
end
`;

// KEYS: task, owner index. ARGV: owner, task JSON, ttl ms, id.
const CREATE = luaScript(`${EXTEND}redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'task', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
extend(KEYS[2], ARGV[3])
return 1`);

// KEYS: task. ARGV: status, lastUpdatedAt, has message ('1'|'0'), message, outcome JSON ('' = none), channel.
// Returns the updated task JSON, or nil when the task is gone or already terminal.
const SET_STATUS = luaScript(`local raw = redis.call('HGET', KEYS[1], 'task')
if not raw then return nil end
local t = cjson.decode(raw)
if t.status == 'completed' or t.status == 'failed' or t.status == 'cancelled' then return nil end
t.status = ARGV[1]
t.lastUpdatedAt = ARGV[2]
if ARGV[3] == '1' then t.statusMessage = ARGV[4] end
local enc = cjson.encode(t)
redis.call('HSET', KEYS[1], 'task', enc)
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'outcome', ARGV[5]) end
if ARGV[1] == 'completed' or ARGV[1] == 'failed' or ARGV[1] == 'cancelled' then redis.call('PUBLISH', ARGV[6], ARGV[1]) end
return enc`);

type Snapshot = { task: Task; outcome: TaskOutcome | undefined };

export class RedisTaskStore implements TaskStore {
  private readonly stops = new Set<() => void>();
  private readonly recheckMs: number;

  constructor(
    private readonly conn: RedisConnection,
    options: RedisTaskStoreOptions = {},
  ) {
    this.recheckMs = options.recheckMs ?? 1000;
  }

  private key(id: string): string {
    return this.conn.key(`t:${id}`);
  }

  private channel(id: string): string {
    return this.conn.key(`tc:${id}`);
  }

  async create(owner: string, ttlMs: number | null, pollIntervalMs: number | undefined): Promise<Task> {
    const now = new Date().toISOString();
    const task: Task = { taskId: randomBytes(16).toString('base64url'), status: 'working', createdAt: now, lastUpdatedAt: now, ttl: ttlMs };
    if (pollIntervalMs !== undefined) task.pollInterval = pollIntervalMs;
    const ttl = Math.max(1, Math.ceil(ttlMs ?? UNBOUNDED_TTL_MS));
    await this.conn.eval(CREATE, [this.key(task.taskId), this.conn.key(`to:${owner}`)], [owner, JSON.stringify(task), ttl, task.taskId]);
    return task;
  }

  /** The task with its outcome, when it exists and belongs to `owner` (undefined owner: anyone's). */
  private async read(taskId: string, owner?: string): Promise<Snapshot | undefined> {
    const [o, raw, outcome] = await this.conn.cmd.hmget(this.key(taskId), 'owner', 'task', 'outcome');
    if (raw === null || raw === undefined || (owner !== undefined && o !== owner)) return undefined;
    return { task: normalize(JSON.parse(raw) as Task), outcome: outcome ? (JSON.parse(outcome) as TaskOutcome) : undefined };
  }

  async get(owner: string, taskId: string): Promise<Task | undefined> {
    return (await this.read(taskId, owner))?.task;
  }

  async list(owner: string): Promise<Task[]> {
    const index = this.conn.key(`to:${owner}`);
    const ids = await this.conn.cmd.smembers(index);
    if (ids.length === 0) return [];
    const pipe = this.conn.cmd.pipeline();
    for (const id of ids) pipe.hget(this.key(id), 'task');
    const answers = (await pipe.exec()) ?? [];
    const tasks: Task[] = [];
    const stale: string[] = [];
    ids.forEach((id, i) => {
      const raw = answers[i]?.[1];
      if (typeof raw === 'string') tasks.push(normalize(JSON.parse(raw) as Task));
      else stale.push(id);
    });
    if (stale.length > 0) await this.conn.cmd.srem(index, ...stale);
    // Oldest first, like the memory store's insertion order: pages stay stable.
    return tasks.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.taskId < b.taskId ? -1 : 1));
  }

  async setStatus(taskId: string, status: TaskStatus, statusMessage?: string, outcome?: TaskOutcome): Promise<Task | undefined> {
    const args = [status, new Date().toISOString(), statusMessage === undefined ? '0' : '1', statusMessage ?? '', outcome ? JSON.stringify(outcome) : '', this.channel(taskId)];
    const enc = (await this.conn.eval(SET_STATUS, [this.key(taskId)], args)) as string | null;
    return enc ? normalize(JSON.parse(enc) as Task) : undefined;
  }

  async waitForOutcome(owner: string, taskId: string, signal?: AbortSignal): Promise<Snapshot | undefined> {
    const first = await this.read(taskId, owner);
    if (!first || isTerminal(first.task.status)) return first;
    if (signal?.aborted) throw abortError(signal);
    return new Promise<Snapshot | undefined>((resolve, reject) => {
      let done = false;
      let remove: (() => void) | undefined;
      const finish = (fn: () => void): void => {
        if (done) return;
        done = true;
        clearInterval(timer);
        signal?.removeEventListener('abort', onAbort);
        remove?.();
        this.stops.delete(stop);
        fn();
      };
      const check = (): void => {
        this.read(taskId, owner).then(
          (s) => {
            if (!s || isTerminal(s.task.status)) finish(() => resolve(s));
          },
          (e: unknown) => finish(() => reject(e)),
        );
      };
      const onAbort = (): void => finish(() => reject(abortError(signal!)));
      const stop = (): void => finish(() => resolve(undefined));
      const timer = setInterval(check, this.recheckMs);
      timer.unref();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.stops.add(stop);
      // Listen, then look again: a terminal status set in between is not missed.
      this.conn.subscribe(this.channel(taskId), check, check).then(
        (r) => {
          if (done) r();
          else {
            remove = r;
            check();
          }
        },
        (e: unknown) => finish(() => reject(e)),
      );
    });
  }

  watchCancel(taskId: string, onCancel: () => void): () => void {
    let stopped = false;
    let remove: (() => void) | undefined;
    const stop = (): void => {
      stopped = true;
      this.stops.delete(stop);
      remove?.();
    };
    let fired = false;
    const fire = (): void => {
      if (stopped || fired) return;
      fired = true;
      onCancel();
    };
    // A cancel published before SUBSCRIBE was confirmed, or while the subscriber was reconnecting,
    // is not delivered: read the status then instead.
    const look = (): void => {
      this.conn.cmd.hget(this.key(taskId), 'task').then(
        (raw) => {
          if (raw && (JSON.parse(raw) as Task).status === 'cancelled') fire();
        },
        () => {},
      );
    };
    this.stops.add(stop);
    this.conn
      .subscribe(
        this.channel(taskId),
        (status) => {
          if (status === 'cancelled') fire();
        },
        look,
      )
      .then(
        (r) => {
          if (stopped) r();
          else {
            remove = r;
            look();
          }
        },
        // Redis unreachable: the handler runs to its end; its late outcome is dropped if the task was cancelled meanwhile.
        () => {},
      );
    return stop;
  }

  /** Ends waits and watches; the connection belongs to whoever created it (`connectRedisStores`). */
  async close(): Promise<void> {
    for (const stop of [...this.stops]) stop();
  }
}

/** A task read back through cjson: `ttl: null` must stay present (the spec's "no expiry"). */
function normalize(task: Task): Task {
  if (task.ttl === undefined) task.ttl = null;
  return task;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('Aborted');
}
