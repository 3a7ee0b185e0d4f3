/**
 * The worker side of supervision: what every supervised worker process runs around its service
 * (runCluster's worker, `erlmcp start`'s worker). It
 * - installs the crash guards (crash-guards.ts): a stray rejection is logged, an uncaught
 *   exception answers in-flight requests with "worker crashed, retry" and exits 1, so the
 *   supervisor starts a replacement;
 * - reports `listening` (or why it could not start) to the supervisor;
 * - drains on the supervisor's `drain` message (rolling restart: `handover`, another worker
 *   already takes new connections) or on SIGTERM (the whole service stops), then exits 0.
 */
import { installCrashGuards } from './crash-guards.js';

/** What a worker serves, as the runtime drives it. */
export interface WorkerService {
  readonly port: number;
  /** The node id in the stores (Redis), when there is one. */
  readonly nodeId?: string;
  /**
   * Stops taking new work and lets what is in flight finish within `graceMs`; what is still
   * running then is answered with an error. `handover`: another worker takes new connections, so
   * stop accepting at once; otherwise keep answering probes and refusing new sessions (503).
   */
  drain(options: { graceMs: number; handover: boolean }): Promise<void>;
  /** A crash: answer every in-flight request with a -32603 error naming `reason` and flush (best effort). */
  failInFlight(reason: string): Promise<void>;
  close(): Promise<void>;
}

/** Messages between a supervisor and its workers (node:cluster IPC). */
export type WorkerMessage =
  | { type: 'erlmcp:listening'; port: number; nodeId?: string }
  | { type: 'erlmcp:failed'; code?: string; message: string }
  | { type: 'erlmcp:draining' }
  | { type: 'erlmcp:drained' };
export type SupervisorMessage = { type: 'erlmcp:drain'; graceMs: number; handover: boolean } | { type: 'erlmcp:shutdown' } | { type: 'erlmcp:drained-ack' };

/** How long a drained worker waits for the supervisor's acknowledgement before exiting anyway. */
const DRAINED_ACK_TIMEOUT_MS = 5_000;

export interface RunWorkerOptions {
  /** Grace period when the worker itself gets SIGTERM. Default 10 000 ms. */
  drainTimeoutMs?: number;
  log?: (line: string) => void;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
/** The reason in-flight requests of a crashing worker are answered with. */
export const CRASH_REASON = 'worker crashed, retry';

function send(message: WorkerMessage): void {
  process.send?.(message);
}

/** Runs `start()` as a supervised worker; resolves once it serves (the process then lives on its handles). */
export async function runWorker(start: () => Promise<WorkerService>, options: RunWorkerOptions = {}): Promise<void> {
  const log = options.log ?? ((line: string) => console.error(line));
  const name = `worker ${process.pid}`;
  let service: WorkerService | undefined;
  /** A drain asked for before the service was up: run it as soon as it is. */
  let pending: { graceMs: number; handover: boolean } | undefined;
  let ending: Promise<void> | undefined;
  installCrashGuards({ name, log, onFatal: () => service?.failInFlight(CRASH_REASON) });

  const end = (graceMs: number, handover: boolean): void => {
    const s = service;
    if (!s) {
      pending ??= { graceMs, handover };
      return;
    }
    ending ??= (async () => {
      send({ type: 'erlmcp:draining' });
      log(`erlmcp (${name}): draining (grace ${graceMs} ms, ${handover ? 'handover' : 'shutdown'})`);
      try {
        await s.drain({ graceMs, handover });
      } catch (e) {
        log(`erlmcp (${name}): drain failed: ${(e as Error).message}`);
      }
      await s.close().catch((e: Error) => log(`erlmcp (${name}): close failed: ${e.message}`));
      await drainedAck();
      process.exit(0);
    })();
  };
  let acked: (() => void) | undefined;
  /**
   * node:cluster hands connections to workers over IPC; one handed to a worker that exits
   * before answering is lost (the client waits forever). The closed listener told the primary
   * first, so once the primary acknowledges a message sent after that, every connection it
   * handed us earlier has already arrived and been sent back (our listener is closed).
   */
  const drainedAck = (): Promise<void> =>
    !process.send
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, DRAINED_ACK_TIMEOUT_MS);
          acked = () => {
            clearTimeout(timer);
            resolve();
          };
          try {
            send({ type: 'erlmcp:drained' });
          } catch {
            acked();
          }
        });
  process.on('message', (m: SupervisorMessage) => {
    if (m?.type === 'erlmcp:drained-ack') acked?.();
    else if (m?.type === 'erlmcp:drain') end(m.graceMs, m.handover);
    else if (m?.type === 'erlmcp:shutdown') end(0, false);
  });
  process.on('SIGTERM', () => end(options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS, false));
  // Ctrl-C signals the whole foreground process group: the supervisor drains the workers in
  // order; a worker leaving on SIGINT first would look like a crash and be replaced mid-shutdown.
  process.on('SIGINT', () => {});

  try {
    service = await start();
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown } | null;
    const message = typeof err?.message === 'string' ? err.message : String(e);
    send({ type: 'erlmcp:failed', code: typeof err?.code === 'string' ? err.code : undefined, message });
    log(`erlmcp (${name}): failed to start: ${message}`);
    process.exit(1);
  }
  send({ type: 'erlmcp:listening', port: service.port, nodeId: service.nodeId });
  if (pending) end(pending.graceMs, pending.handover);
}
