/**
 * `erlmcp start` as a supervised service: the command's own process is a supervisor
 * (src/cluster/supervisor.ts) and the MCP server runs in worker processes — one by default,
 * `--cluster N` for N — each running `startInProcess` (start.ts) through worker.ts. So a handler
 * that throws inside a `setTimeout` costs one worker restart, not the service; SIGHUP replaces
 * the workers one at a time; SIGTERM drains them.
 */
import type { Worker } from 'node:cluster';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Supervisor, type SupervisorExit } from '../cluster/index.js';
import { isAuditMessage } from '../features/audit/chain.js';
import { FileChain } from '../features/audit/file-chain.js';
import { isRedisAuditTarget } from '../features/auth/configure.js';
import { CliError, EXIT_FAILURE, listenError } from './errors.js';
import { endpoints, type RunningServer, type StartOptions } from './start.js';

/** The StartOptions a worker serves (JSON), port included. */
export const START_OPTIONS_ENV = 'ERLMCP_START_OPTIONS';

/**
 * The supervisor owns an `--audit-log` file: workers forward their records (worker.ts), and
 * this one writer links them, so `--cluster N` and a rolling restart — old and new worker
 * serving at once — still make one chain. Resolves `drained()` once every worker that sent a
 * record has closed its channel: its last records have all arrived (a worker's exit can be seen
 * before the last messages on its channel are read).
 */
async function auditOwner(path: string): Promise<{ onMessage: (m: unknown, w: Worker) => void; close(): Promise<void> }> {
  const chain = await FileChain.open(path);
  const open = new Map<Worker, Promise<void>>();
  let closing: Promise<void> | undefined;
  return {
    onMessage(m, worker) {
      if (!isAuditMessage(m)) return;
      if (!open.has(worker)) open.set(worker, worker.isConnected() ? new Promise((r) => worker.once('disconnect', () => r())) : Promise.resolve());
      chain.append(m.entry);
    },
    close: () =>
      (closing ??= (async () => {
        await Promise.all(open.values());
        await chain.close();
      })()),
  };
}

/** Starts the supervisor and its workers; resolves once every worker serves. */
export async function startSupervised(o: StartOptions, log: (line: string) => void): Promise<RunningServer> {
  const audit = o.auditLog !== undefined && !isRedisAuditTarget(o.auditLog) ? await auditOwner(o.auditLog) : undefined;
  // Before the workers fork, so a scrape on the MCP port finds the primary listening.
  const metrics = o.metrics || o.metricsPort !== undefined ? await aggregateMetrics(o) : undefined;
  // The dashboard a viewer opens on any worker shows every worker's figures, merged here.
  const dashboards = o.dashboard ? (await import('../features/telemetry/dashboard/cluster.js')).aggregateDashboards() : undefined;
  const supervisor = new Supervisor({
    ...(audit ? { onMessage: audit.onMessage } : {}),
    exec: fileURLToPath(new URL('./worker.js', import.meta.url)),
    workers: o.cluster ?? 1,
    port: o.port,
    host: o.host,
    env: (port) => ({ [START_OPTIONS_ENV]: JSON.stringify({ ...o, port }) }),
    maxRestarts: o.maxRestarts,
    restartWindowMs: o.restartWindow,
    drainTimeoutMs: o.drainTimeout,
    log,
  });
  try {
    await supervisor.start();
  } catch (e) {
    await audit?.close();
    await metrics?.close();
    dashboards?.close();
    throw e;
  }
  void supervisor.done.then(() => audit?.close());
  let closing: Promise<void> | undefined;
  return {
    ...endpoints(o, supervisor.port),
    ...(metrics?.url ? { metricsUrl: metrics.url } : {}),
    ...(o.tcpPort !== undefined ? { tcpUrl: `${o.tlsCert ? 'tls' : 'tcp'}://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.tcpPort}` } : {}),
    workerPids: () => supervisor.workerPids(),
    restart: () => {
      if (!o.redis) log('erlmcp: rolling restart with the in-memory stores: the sessions of each replaced worker are lost (clients re-initialize on the 404)');
      return supervisor.restart();
    },
    done: supervisor.done,
    close: () =>
      (closing ??= (async () => {
        await supervisor.stop();
        await audit?.close();
        await metrics?.close();
        dashboards?.close();
      })()),
  };
}

/**
 * The supervisor's side of `--metrics`/`--metrics-port`: answers the workers asking for the sum
 * over all of them and, with `--metrics-port`, serves that sum on its own listener.
 */
async function aggregateMetrics(o: StartOptions): Promise<{ url?: string; close(): Promise<void> }> {
  const { aggregateWorkers } = await import('../features/telemetry/cluster-metrics.js');
  const aggregate = aggregateWorkers();
  if (o.metricsPort === undefined) return { close: async () => aggregate.close() };
  const { listenMetrics } = await import('../features/telemetry/setup.js');
  const { metricsHandler } = await import('../features/telemetry/prometheus.js');
  let listener: Awaited<ReturnType<typeof listenMetrics>>;
  try {
    listener = await listenMetrics(metricsHandler(aggregate), o.metricsPort, o.metricsHost);
  } catch (e) {
    aggregate.close();
    throw listenError(e, 'cannot serve /metrics', o.metricsHost ?? '127.0.0.1', o.metricsPort, '--metrics-port');
  }
  return {
    url: listener.url,
    close: async () => {
      aggregate.close();
      await listener.close();
    },
  };
}

export interface ServiceIO {
  log(line: string): void;
  exit(code: number): void;
  /** Default: process. */
  target?: NodeJS.EventEmitter;
}

/**
 * SIGHUP → rolling restart; the supervisor giving up on a crash loop → the message and exit 1.
 * Returns the remover of the SIGHUP handler.
 */
export function superviseService(running: Pick<RunningServer, 'restart' | 'done'>, io: ServiceIO): () => void {
  const target = io.target ?? process;
  const onHup = (): void => {
    if (!running.restart) return io.log('erlmcp: SIGHUP ignored: this server cannot restart its workers');
    running.restart().catch((e: Error) => io.log(`erlmcp: rolling restart stopped: ${e.message} (the workers not yet replaced keep serving)`));
  };
  target.on('SIGHUP', onHup);
  void running.done?.then((r: SupervisorExit) => {
    if (r.code === 0) return;
    io.log(`erlmcp: the service stopped: ${r.reason ?? 'supervisor gave up'}`);
    io.exit(r.code);
  });
  return () => target.off('SIGHUP', onHup);
}

/** Writes this process's pid to `path` (for `erlmcp restart --pid-file`); the returned function removes it. */
export function writePidFile(path: string): () => void {
  writeFileSync(path, `${process.pid}\n`);
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    try {
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path);
    } catch {
      // already gone
    }
  };
  process.once('exit', remove);
  return remove;
}

/** `erlmcp restart --pid-file <path>`: asks the running `erlmcp start` for a rolling restart (SIGHUP). */
export function signalRestart(pidFile: string, kill: (pid: number, signal: NodeJS.Signals) => void = (pid, s) => process.kill(pid, s)): number {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read the pid file ${pidFile}: ${(e as Error).message}`, EXIT_FAILURE);
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new CliError(`${pidFile} holds no pid: ${JSON.stringify(text.slice(0, 40))}`, EXIT_FAILURE);
  try {
    kill(pid, 'SIGHUP');
  } catch (e) {
    throw new CliError(`no erlmcp process ${pid} (from ${pidFile}): ${(e as Error).message}`, EXIT_FAILURE);
  }
  return pid;
}
