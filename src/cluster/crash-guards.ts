/**
 * Process-wide crash guards, OTP-style: a handler's stray async error must not take down the
 * other sessions of the process.
 *
 * - An unhandled promise rejection (a tool firing `Promise.reject(...)` without awaiting it) is
 *   logged with its stack and serving continues. Node's default (`--unhandled-rejections=throw`)
 *   would turn it into an uncaught exception and end the process.
 * - An uncaught exception (a `throw` inside a `setTimeout`) leaves the process in an unknown
 *   state (Node's docs: "it is not safe to resume normal operation"), so it is not swallowed: the
 *   guard logs it, gives `onFatal` a bounded moment to answer in-flight requests with a clear
 *   error, and exits. Under `erlmcp start` (or `runCluster`) a supervisor then starts a
 *   replacement worker; sessions in Redis continue there.
 *
 * The library never installs these by itself: process-wide handlers belong to whoever owns the
 * process. `erlmcp start` and `runCluster` workers install them; call `installCrashGuards()` in
 * your own entry point to get the same behaviour.
 */

export interface CrashGuardOptions {
  /** Where the guard writes. Default: `console.error`. */
  log?: (line: string) => void;
  /**
   * Called once on the first uncaught exception, before exiting: answer in-flight requests,
   * stop accepting connections, flush. Bounded by `fatalTimeoutMs`.
   */
  onFatal?: (error: unknown) => void | Promise<void>;
  /** Longest wait for `onFatal` before exiting anyway. Default 2000 ms. */
  fatalTimeoutMs?: number;
  /** Exit code after an uncaught exception. Default 1. */
  exitCode?: number;
  /** Label in log lines, e.g. `worker 1234`. Default `pid <pid>`. */
  name?: string;
  /** For tests: the emitter to listen on and the exit function. Default: `process`, `process.exit`. */
  target?: NodeJS.EventEmitter;
  exit?: (code: number) => void;
}

export interface CrashGuards {
  /** Unhandled rejections logged so far. */
  readonly rejections: number;
  /** Removes the handlers (Node's defaults apply again). */
  uninstall(): void;
}

/** The stack when there is one, else a printable form of whatever was thrown. */
export function describeThrown(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  try {
    return `non-error value thrown: ${typeof value === 'string' ? value : JSON.stringify(value)}`;
  } catch {
    return `non-error value thrown: ${String(value)}`;
  }
}

/**
 * Installs the `unhandledRejection` and `uncaughtException` handlers described above.
 *
 * @example
 * ```ts
 * import { installCrashGuards } from 'erlmcp/cluster';
 * const http = new StreamableHttpServer({ server });
 * await http.listen(3000);
 * installCrashGuards({ onFatal: () => http.failInFlight('worker crashed, retry') });
 * ```
 */
export function installCrashGuards(options: CrashGuardOptions = {}): CrashGuards {
  const target = options.target ?? process;
  const log = options.log ?? ((line: string) => console.error(line));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const name = options.name ?? `pid ${process.pid}`;
  const fatalTimeoutMs = options.fatalTimeoutMs ?? 2000;
  let rejections = 0;
  let dying = false;
  /** Bounds onFatal; deliberately not unref'd: with a handler installed, an empty loop would exit 0. */
  let timer: NodeJS.Timeout | undefined;

  const onRejection = (reason: unknown): void => {
    rejections++;
    log(`erlmcp (${name}): unhandled promise rejection, serving continues: ${describeThrown(reason)}`);
  };

  const onException = (error: unknown, origin?: string): void => {
    if (dying) {
      // A second failure while answering in-flight requests: stop trying.
      log(`erlmcp (${name}): another uncaught exception while exiting: ${describeThrown(error)}`);
      clearTimeout(timer);
      exit(options.exitCode ?? 1);
      return;
    }
    dying = true;
    log(`erlmcp (${name}): uncaught exception${origin && origin !== 'uncaughtException' ? ` (${origin})` : ''}; exiting so a supervisor can start a clean replacement: ${describeThrown(error)}`);
    const bounded = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        log(`erlmcp (${name}): in-flight requests not answered within ${fatalTimeoutMs} ms; exiting anyway`);
        resolve();
      }, fatalTimeoutMs);
    });
    const work = (async () => {
      try {
        await options.onFatal?.(error);
      } catch (e) {
        log(`erlmcp (${name}): failed to answer in-flight requests: ${describeThrown(e)}`);
      }
    })();
    void Promise.race([work, bounded]).then(() => {
      clearTimeout(timer);
      exit(options.exitCode ?? 1);
    });
  };

  target.on('unhandledRejection', onRejection);
  target.on('uncaughtException', onException);
  return {
    get rejections() {
      return rejections;
    },
    uninstall() {
      target.off('unhandledRejection', onRejection);
      target.off('uncaughtException', onException);
    },
  };
}
