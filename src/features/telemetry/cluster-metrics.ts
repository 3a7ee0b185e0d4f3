/**
 * Prometheus figures summed across node:cluster workers (`erlmcp start --cluster N`), with
 * prom-client's AggregatorRegistry: the primary asks every worker over the cluster IPC channel
 * for its registry (`prom-client:getMetricsReq`) and merges them, each metric by its
 * `aggregator` (counters and histograms sum; gauges sum or take the max when every worker reports
 * the same shared figure, e.g. the Redis event-store size).
 *
 * A scrape is answered with the aggregate whichever way it comes:
 * - `--metrics-port`: the primary serves it (workers open no listener of their own);
 * - `--metrics` on the MCP port: the worker that took the request asks the primary
 *   (`erlmcp:metrics?`), which aggregates over every worker, that one included, and answers
 *   (`erlmcp:metrics`).
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { ErlmcpError } from '../../protocol/errors.js';
import { PrimaryAsk } from './ask-primary.js';

const ASK = 'erlmcp:metrics?';
const ANSWER = 'erlmcp:metrics';
/** How long a worker waits for the primary's aggregate (prom-client gives up on a silent worker after 5 s). */
const ASK_TIMEOUT_MS = 10_000;

interface Ask {
  type: typeof ASK;
  id: number;
}
interface Answer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

/** The aggregated exposition text and its content type. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/**
 * Primary side: aggregates over every connected worker, and answers workers asking for the
 * aggregate. Call once in the primary; `close()` stops answering.
 *
 * @example
 * const agg = aggregateWorkers();
 * http.createServer(metricsHandler(agg)).listen(9464);
 */
export function aggregateWorkers(): MetricsSource & { close(): void } {
  const registry = new AggregatorRegistry();
  const onMessage = (worker: Worker, m: Ask): void => {
    if (m?.type !== ASK) return;
    registry.clusterMetrics().then(
      (text) => send(worker, { type: ANSWER, id: m.id, text }),
      (e: unknown) => send(worker, { type: ANSWER, id: m.id, error: e instanceof Error ? e.message : String(e) }),
    );
  };
  cluster.on('message', onMessage);
  return {
    metrics: () => registry.clusterMetrics(),
    contentType: registry.contentType,
    close: () => void cluster.off('message', onMessage),
  };
}

function send(worker: Worker, m: Answer): void {
  if (worker.isConnected()) worker.send(m);
}

let shared = false;
const asker = new PrimaryAsk<string>({ ask: ASK, answer: ANSWER, what: 'the aggregate', timeoutMs: ASK_TIMEOUT_MS, value: (m) => m.text as string | undefined });

/**
 * Worker side: lets the primary collect `registry`, and returns the source of the aggregate
 * (asked of the primary). One registry per worker process: a second call replaces the first.
 *
 * @example
 * const aggregate = shareWithPrimary(metrics.registry);
 * const routes = { '/metrics': metricsHandler(aggregate) };
 */
export function shareWithPrimary(registry: Registry): MetricsSource {
  if (!cluster.isWorker || !process.send) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'shareWithPrimary runs in a node:cluster worker');
  AggregatorRegistry.setRegistries([registry]);
  if (!shared) {
    shared = true;
    // The constructor installs prom-client's worker listener (it answers the primary's collection requests).
    new AggregatorRegistry();
    process.on('message', (m: unknown) => void asker.settle(m));
  }
  return {
    contentType: registry.contentType,
    metrics: () => asker.request(),
  };
}
