/**
 * Measure once, export many: one middleware per server times every request and adds it to an
 * in-process aggregate keyed by call shape (method, tool or prompt label, protocol version,
 * carrier) and outcome — bucket counts in the conventions' buckets, sum, count, calls in flight.
 * Prometheus (prometheus.ts) and the OpenTelemetry metric producer (otel-producer.ts) read the
 * aggregate when they are scraped or export, instead of each updating its own instruments on
 * every request: a request costs one shape lookup, two clock reads and a few additions whatever
 * number of exporters read it (prom-client hashes the label set on every update, the OTel SDK's
 * histogram sorts and serialises the attribute set on every record: about 1.5 µs each per call).
 *
 * @example
 * const stats = operationStats(server); // installs the middleware once per server
 * for (const s of stats.series()) console.log(s.shape.method, s.count, s.sum);
 */
import type { Result } from '../../protocol/types.js';
import type { Call, CallSession, Next } from '../../server/middleware.js';
import type { McpServer } from '../../server/server.js';
import { ShapeCache } from './call-shape.js';
import { DURATION_BUCKETS, OTHER, TOOL_ERROR, classifyFailure, isToolError, networkTransport } from './conventions.js';

/** What a series is about; tool and prompt names are bounded labels (registered names, else `_OTHER`). */
export interface OperationShape {
  readonly method: string;
  readonly tool: string | undefined;
  readonly prompt: string | undefined;
  readonly protocolVersion: string | undefined;
  /** `network.transport` (pipe, tcp), when the carrier is known. */
  readonly net: string | undefined;
}

/** Outcome of a request: ok, a tool result with isError, a caller's fault (-32602…), or a failure. */
export type Outcome = 'ok' | 'tool_error' | 'caller_error' | 'error';

/** How a request that did not succeed failed (the `error.type` and JSON-RPC code of the conventions). */
export interface FailureKind {
  readonly outcome: Exclude<Outcome, 'ok'>;
  readonly errorType: string;
  /** The JSON-RPC error code answered, as text; undefined for a tool error (answered as a result). */
  readonly statusCode: string | undefined;
}

/** The durations of one shape and outcome, in seconds: non-cumulative counts per bucket (last = above every bound). */
export class DurationSeries {
  readonly counts = new Float64Array(DURATION_BUCKETS.length + 1);
  sum = 0;
  count = 0;
  /** Smallest and largest duration since the series began (Infinity / -Infinity before the first). */
  min = Infinity;
  max = -Infinity;
  /** performance.timeOrigin-based ms when the series was created (the start of its cumulative data). */
  readonly created = performance.timeOrigin + performance.now();

  constructor(
    readonly shape: OperationShape,
    /** Undefined for the series of successful calls. */
    readonly failure: FailureKind | undefined,
  ) {}

  observe(seconds: number): void {
    // Upper bounds are inclusive (Prometheus `le`, OTel explicit buckets): the first bound ≥ value.
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
    if (seconds < this.min) this.min = seconds;
    if (seconds > this.max) this.max = seconds;
  }
}

/** Failure series beyond this many per shape share one `_OTHER` error type (bounded cardinality). */
const MAX_FAILURE_KINDS = 32;
/** Distinct call shapes kept before new ones fold into one `_OTHER` shape. */
const MAX_SHAPES = 1024;

/** Everything the aggregate keeps about one call shape. */
class ShapeStats {
  inFlight = 0;
  readonly ok: DurationSeries;
  private readonly failures = new Map<string, DurationSeries>();

  constructor(
    readonly shape: OperationShape,
    private readonly all: DurationSeries[],
  ) {
    this.ok = this.add(undefined);
  }

  failure(outcome: FailureKind['outcome'], errorType: string, statusCode: string | undefined): DurationSeries {
    const key = `${outcome}\0${errorType}\0${statusCode ?? ''}`;
    let s = this.failures.get(key);
    if (s === undefined) {
      // Past the bound, one more series per outcome collects every further kind.
      if (this.failures.size >= MAX_FAILURE_KINDS && errorType !== OTHER) return this.failure(outcome, OTHER, statusCode === undefined ? undefined : OTHER);
      s = this.add({ outcome, errorType, statusCode });
      this.failures.set(key, s);
    }
    return s;
  }

  private add(failure: FailureKind | undefined): DurationSeries {
    const s = new DurationSeries(this.shape, failure);
    this.all.push(s);
    return s;
  }
}

/** Called when an `initialize` is answered: the session now counts as opened. */
export type InitializedListener = (session: CallSession, shape: OperationShape, startedAt: number) => void;

/** The aggregate of one server (see the module comment). Read it with `series()` and `inFlight()`. */
export class OperationStats {
  private readonly all: DurationSeries[] = [];
  private readonly shapes: ShapeCache<ShapeStats>;
  private readonly byShape: ShapeStats[] = [];
  private readonly initialized: InitializedListener[] = [];
  private overflow: ShapeStats | undefined;

  constructor(server: McpServer) {
    const label = (name: string): string => (server.tools.has(name) || server.prompts.has(name) ? name : OTHER);
    this.shapes = new ShapeCache<ShapeStats>((method, name, protocolVersion, kind) => {
      const shape: OperationShape = {
        method,
        tool: method === 'tools/call' && name !== undefined ? label(name) : undefined,
        prompt: method === 'prompts/get' && name !== undefined ? label(name) : undefined,
        protocolVersion,
        net: networkTransport(kind),
      };
      // Past the bound (a client inventing method names), new shapes share one `_OTHER` series:
      // the exported cardinality stays bounded.
      if (this.byShape.length >= MAX_SHAPES) return (this.overflow ??= this.track({ method: OTHER, tool: undefined, prompt: undefined, protocolVersion: undefined, net: undefined }));
      return this.track(shape);
    });
    server.use((call: Call, next) => this.time(call, next));
  }

  private track(shape: OperationShape): ShapeStats {
    const stats = new ShapeStats(shape, this.all);
    this.byShape.push(stats);
    return stats;
  }

  /** Every series seen so far (successes and failures), in creation order. */
  series(): readonly DurationSeries[] {
    return this.all;
  }

  /** Requests being handled now, per method. */
  inFlight(): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of this.byShape) out.set(s.shape.method, (out.get(s.shape.method) ?? 0) + s.inFlight);
    return out;
  }

  /** Runs `listener` for each `initialize` answered from now on. */
  onInitialized(listener: InitializedListener): void {
    this.initialized.push(listener);
  }

  private time(call: Call, next: Next): Promise<Result> {
    const s = this.shapes.of(call.method, call.params, call.session?.protocolVersion, call.transport);
    s.inFlight++;
    const started = performance.now();
    return next().then(
      (r) => {
        s.inFlight--;
        const seconds = (performance.now() - started) / 1000;
        if (isToolError(r)) s.failure('tool_error', TOOL_ERROR, undefined).observe(seconds);
        else {
          s.ok.observe(seconds);
          if (call.method === 'initialize' && call.session !== undefined) for (const l of this.initialized) l(call.session, s.shape, started);
        }
        return r;
      },
      (e: unknown) => {
        s.inFlight--;
        const seconds = (performance.now() - started) / 1000;
        const f = classifyFailure(e);
        // A non-MCP error is answered -32603 (engine finishError).
        s.failure(f.callerFault ? 'caller_error' : 'error', f.type, String(f.code ?? -32603)).observe(seconds);
        throw e;
      },
    );
  }
}

const installed = new WeakMap<McpServer, OperationStats>();

/** The aggregate of `server`, installing its timing middleware on first use (once per server). */
export function operationStats(server: McpServer): OperationStats {
  let stats = installed.get(server);
  if (stats === undefined) {
    stats = new OperationStats(server);
    installed.set(server, stats);
  }
  return stats;
}
