/**
 * The dashboard of `erlmcp start --cluster N`: the figures of every worker, merged. The viewer's
 * connection lands on one worker; that worker asks the supervisor (`erlmcp:dashboard?`), which
 * collects every connected worker's part (`erlmcp:dashboard-collect` → `erlmcp:dashboard-part`,
 * DashboardStats.part), merges them (mergeParts: counts summed, p50/p99 over the union of the
 * workers' duration windows) and answers (`erlmcp:dashboard`). The same pattern as the
 * Prometheus aggregation (../cluster-metrics.ts), over the same IPC channel.
 */
import cluster, { type Worker } from 'node:cluster';
import { ErlmcpError } from '../../../protocol/errors.js';
import { PrimaryAsk } from '../ask-primary.js';
import { mergeParts, type DashboardStats, type Snapshot, type StatsPart } from './stats.js';

const ASK = 'erlmcp:dashboard?';
const ANSWER = 'erlmcp:dashboard';
const COLLECT = 'erlmcp:dashboard-collect';
const PART = 'erlmcp:dashboard-part';
/** How long the supervisor waits for a worker's part: a worker that is silent that long is left out of that snapshot. */
const COLLECT_TIMEOUT_MS = 3_000;
/** How long a worker waits for the merged snapshot. */
const ASK_TIMEOUT_MS = 10_000;

interface Ask {
  type: typeof ASK;
  id: number;
}
interface Answer {
  type: typeof ANSWER;
  id: number;
  snapshot?: Snapshot;
  error?: string;
}
interface Collect {
  type: typeof COLLECT;
  id: number;
}
interface Part {
  type: typeof PART;
  id: number;
  part?: StatsPart;
}

/**
 * Supervisor side: answers the workers asking for the merged snapshot. Call once in the primary;
 * `close()` stops answering.
 *
 * @example
 * const dashboards = aggregateDashboards();
 * // … on shutdown
 * dashboards.close();
 */
export function aggregateDashboards(): { snapshot(): Promise<Snapshot>; close(): void } {
  let nextId = 0;
  const collecting = new Map<number, { worker: Worker; got(part: StatsPart | undefined): void }[]>();
  const collect = (): Promise<Snapshot> => {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
    const id = nextId++;
    const waits = workers.map(
      (worker) =>
        new Promise<StatsPart | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), COLLECT_TIMEOUT_MS);
          timer.unref();
          const entry = {
            worker,
            got: (part: StatsPart | undefined) => {
              clearTimeout(timer);
              resolve(part);
            },
          };
          const list = collecting.get(id) ?? [];
          list.push(entry);
          collecting.set(id, list);
          // A worker that exits before answering resolves through the timeout.
          worker.send({ type: COLLECT, id } satisfies Collect, (e: Error | null) => e && entry.got(undefined));
        }),
    );
    return Promise.all(waits).then((parts) => {
      collecting.delete(id);
      return mergeParts(parts.filter((p): p is StatsPart => p !== undefined));
    });
  };
  const onMessage = (worker: Worker, m: Ask | Part): void => {
    if (m?.type === PART) {
      const entry = collecting.get(m.id)?.find((e) => e.worker === worker);
      entry?.got(m.part);
    } else if (m?.type === ASK) {
      collect().then(
        (snapshot) => reply(worker, { type: ANSWER, id: m.id, snapshot }),
        (e: unknown) => reply(worker, { type: ANSWER, id: m.id, error: e instanceof Error ? e.message : String(e) }),
      );
    }
  };
  cluster.on('message', onMessage);
  return { snapshot: collect, close: () => void cluster.off('message', onMessage) };
}

function reply(worker: Worker, m: Answer): void {
  if (worker.isConnected()) worker.send(m);
}

/**
 * Worker side: gives the supervisor this worker's part when it collects, and returns the source
 * of the merged snapshot (asked of the supervisor). One stats object per worker process.
 *
 * @example
 * const stats = new DashboardStats().instrument(server);
 * const dash = createDashboard(server, { stats, snapshot: shareDashboard(stats) });
 */
export function shareDashboard(stats: DashboardStats): () => Promise<Snapshot> {
  if (!cluster.isWorker || !process.send) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'shareDashboard runs in a node:cluster worker');
  const asker = new PrimaryAsk<Snapshot>({ ask: ASK, answer: ANSWER, what: 'the dashboard', timeoutMs: ASK_TIMEOUT_MS, value: (m) => m.snapshot as Snapshot | undefined });
  process.on('message', (m: Collect | Answer) => {
    if (m?.type === COLLECT) {
      stats.part().then(
        (part) => process.send?.({ type: PART, id: m.id, part } satisfies Part),
        () => process.send?.({ type: PART, id: m.id } satisfies Part),
      );
    } else asker.settle(m);
  });
  return () => asker.request();
}
