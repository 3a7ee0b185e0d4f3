/**
 * Isolated tools: the public shapes (what a tool module exports, what its handler receives, the
 * pool's options) and the messages the main thread and a worker thread exchange.
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { CallToolResult, LoggingLevel, Meta, RequestId } from '../../protocol/types.js';

/**
 * `ToolConfig.isolate`: where the handler of an isolated tool lives. A closure cannot move to
 * another thread, so the handler is a named export of an ES module the worker imports.
 *
 * @example
 * server.tool('crunch', {
 *   inputSchema: z.object({ n: z.number() }),
 *   isolate: { module: new URL('./crunch.js', import.meta.url), export: 'crunch' },
 * });
 */
export interface IsolateConfig {
  /** The module: a `file:` URL (`new URL('./x.js', import.meta.url)`) or an absolute path. */
  module: URL | string;
  /** The export to call. Default `'default'`. */
  export?: string;
}

/**
 * What an isolated handler receives instead of a `HandlerContext`. `progress` and `log` are
 * forwarded to the real context by message passing (the session's log level and the caller's
 * progress token apply there). Requests back to the client need the session, which stays on the
 * main thread: `sample`, `elicit` and `listRoots` reject with a clear error.
 */
export interface IsolatedToolContext {
  /** Aborted when the caller cancels, the tool times out or the server closes. */
  readonly signal: AbortSignal;
  readonly toolName: string;
  readonly requestId: RequestId;
  readonly sessionId: string | undefined;
  readonly meta: Meta | undefined;
  /** basic/utilities/progress: sent only if the caller supplied a progressToken. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** server/utilities/logging: `data` must be structured-cloneable (JSON is). */
  log(level: LoggingLevel, data: unknown, logger?: string): Promise<void>;
  /** Unsupported in a worker thread: always rejects. */
  sample(...args: unknown[]): Promise<never>;
  /** Unsupported in a worker thread: always rejects. */
  elicit(...args: unknown[]): Promise<never>;
  /** Unsupported in a worker thread: always rejects. */
  listRoots(...args: unknown[]): Promise<never>;
}

/**
 * The type of an isolated tool's export. `args` are the validated arguments as plain data
 * (after the input schema ran on the main thread); the result is structured-cloned back, and an
 * output schema is checked on the main thread.
 *
 * @example
 * // crunch.ts, compiled to crunch.js next to the server module
 * import type { IsolatedToolHandler } from 'erlmcp/server';
 * export const crunch: IsolatedToolHandler<{ n: number }> = (args, ctx) => {
 *   let x = 0;
 *   for (let i = 0; i < args.n && !ctx.signal.aborted; i++) x += Math.sqrt(i);
 *   return { content: [{ type: 'text', text: String(x) }] };
 * };
 */
export type IsolatedToolHandler<A = Record<string, unknown>> = (args: A, ctx: IsolatedToolContext) => CallToolResult | Promise<CallToolResult>;

/** `ServerOptions.isolation`: the worker-thread pool shared by every isolated tool of a server. */
export interface IsolationOptions {
  /** Worker threads at most (started on demand). Default: available cores − 1, between 1 and 4. */
  size?: number;
  /** Calls waiting for a free worker at most; past it a call fails at once (-32603). Default 32. */
  maxQueue?: number;
  /**
   * After a running call is cancelled (or times out), how long its worker may take to settle it
   * before the worker is terminated and replaced (a busy loop never looks at its signal).
   * Default 500 ms.
   */
  cancelGraceMs?: number;
  /** Heap limits per worker; a worker that exceeds them dies and is replaced. */
  resourceLimits?: ResourceLimits;
  /**
   * Scheduling priority (nice value, 0–19) of the worker threads, so a spinning tool yields the
   * CPU to the event loop that serves every session when cores are scarce. Linux only (elsewhere
   * ignored); 0 keeps the process's priority. Default 10.
   */
  nice?: number;
}

// ---------- messages between the threads ----------

/** What a worker is started with (`workerData`). */
export interface WorkerInit {
  nice: number;
}

export interface CallMessage {
  t: 'call';
  id: number;
  module: string;
  export: string;
  tool: string;
  args: Record<string, unknown>;
  requestId: RequestId;
  sessionId: string | undefined;
  meta: Meta | undefined;
}
export interface AbortMessage {
  t: 'abort';
  id: number;
  reason: string;
}
export type ToWorker = CallMessage | AbortMessage;

export type FromWorker =
  /** Sent before the handler is called. */
  | { t: 'started'; id: number }
  | { t: 'result'; id: number; result: CallToolResult }
  /** The handler threw: `load` when the module or export could not be loaded. */
  | { t: 'error'; id: number; message: string; load?: boolean }
  | { t: 'progress'; id: number; progress: number; total?: number; message?: string }
  | { t: 'log'; id: number; level: LoggingLevel; data: unknown; logger?: string };
