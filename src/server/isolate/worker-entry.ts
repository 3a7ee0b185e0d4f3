/**
 * The code a pool worker thread runs: it imports tool modules on demand, runs one call at a time
 * (the pool never sends a second before the first settles), and reports progress, logs and the
 * outcome by message. It installs no uncaughtException handler on purpose: a handler that throws
 * asynchronously or calls process.exit ends this thread, and the pool fails the call and starts a
 * fresh worker — state the crash may have corrupted is not reused.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { CallMessage, FromWorker, IsolatedToolContext, IsolatedToolHandler, ToWorker, WorkerInit } from './types.js';

const port = parentPort;
if (!port) throw new Error('worker-entry.js runs only as a worker thread of the isolated-tool pool');

// A stdio server's stdout is its protocol stream: whatever a tool prints (console.log included)
// goes to stderr instead. (Done here rather than with the Worker's `stdout: true` option, whose
// stream would keep the parent's event loop alive while it is read.)
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

// Lower this thread's priority (Linux: setpriority on the thread id, which /proc/thread-self
// names): when the cores are busy, the event loop serving every session runs first. Raising the
// nice value needs no privilege; where it is unsupported, the thread keeps the process's priority.
const { nice } = workerData as WorkerInit;
if (nice > 0 && process.platform === 'linux') {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), nice);
  } catch {
    // No /proc (a sandbox): nothing to do.
  }
}

const modules = new Map<string, Promise<Record<string, unknown>>>();
const running = new Map<number, AbortController>();

function post(m: FromWorker): void {
  port!.postMessage(m);
}

class LoadError extends Error {}

async function load(m: CallMessage): Promise<IsolatedToolHandler> {
  let mod = modules.get(m.module);
  if (!mod) {
    mod = import(m.module) as Promise<Record<string, unknown>>;
    modules.set(m.module, mod);
    mod.catch(() => modules.delete(m.module));
  }
  let ns: Record<string, unknown>;
  try {
    ns = await mod;
  } catch (e) {
    throw new LoadError(`cannot import ${m.module}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const fn = ns[m.export];
  if (typeof fn !== 'function') throw new LoadError(`${m.module} has no function export '${m.export}'`);
  return fn as IsolatedToolHandler;
}

function unsupported(what: string): () => Promise<never> {
  return () => Promise.reject(new Error(`${what} is not available to isolated tools (they run in a worker thread without the session)`));
}

function context(m: CallMessage, signal: AbortSignal): IsolatedToolContext {
  const id = m.id;
  return {
    signal,
    toolName: m.tool,
    requestId: m.requestId,
    sessionId: m.sessionId,
    meta: m.meta,
    progress(progress, total, message) {
      const p: FromWorker = { t: 'progress', id, progress };
      if (total !== undefined) p.total = total;
      if (message !== undefined) p.message = message;
      post(p);
      return Promise.resolve();
    },
    log(level, data, logger) {
      try {
        post(logger === undefined ? { t: 'log', id, level, data } : { t: 'log', id, level, data, logger });
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e); // data that cannot be cloned
      }
    },
    sample: unsupported('Sampling'),
    elicit: unsupported('Elicitation'),
    listRoots: unsupported('roots/list'),
  };
}

async function run(m: CallMessage): Promise<void> {
  const controller = new AbortController();
  running.set(m.id, controller);
  post({ t: 'started', id: m.id });
  try {
    const fn = await load(m);
    const result = await fn(m.args, context(m, controller.signal));
    try {
      post({ t: 'result', id: m.id, result });
    } catch (e) {
      // DataCloneError: a function, a symbol… in the result.
      post({ t: 'error', id: m.id, message: `result cannot leave the worker thread: ${e instanceof Error ? e.message : String(e)}` });
    }
  } catch (e) {
    post({ t: 'error', id: m.id, message: e instanceof Error ? e.message : String(e), load: e instanceof LoadError });
  } finally {
    running.delete(m.id);
  }
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'call') void run(m);
  else running.get(m.id)?.abort(m.reason);
});
