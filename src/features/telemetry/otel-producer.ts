/**
 * `mcp.server.operation.duration` for the OpenTelemetry SDK, read from the servers' request
 * aggregates (operation-stats.ts) when the metric reader collects, instead of a histogram
 * `record` per request. A MetricProducer (OTel metrics SDK spec, "MetricProducer"): the reader
 * merges its output with the SDK's own instruments and exports both under the SDK's resource.
 * Cumulative or delta, as the reader's exporter prefers
 * (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE). Loaded only with the SDK (otel-sdk.ts).
 */
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import type { metrics as sdk } from '@opentelemetry/sdk-node';
import { ATTR, DURATION_BUCKETS } from './conventions.js';
import type { DurationSeries, OperationStats } from './operation-stats.js';

/** The SDK's enum values this module needs, passed in by the code that loaded the SDK. */
export interface SdkEnums {
  readonly DataPointType: typeof sdk.DataPointType;
  readonly AggregationTemporality: typeof sdk.AggregationTemporality;
  readonly InstrumentType: typeof sdk.InstrumentType;
}

const hr = (ms: number): HrTime => {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
};
const nowMs = (): number => performance.timeOrigin + performance.now();

/** The metric attributes of a series (the conventions' names; bounded values). */
export function seriesAttributes(s: DurationSeries): Attributes {
  const { shape, failure } = s;
  const a: Attributes = { [ATTR.METHOD]: shape.method };
  if (shape.protocolVersion !== undefined) a[ATTR.PROTOCOL_VERSION] = shape.protocolVersion;
  if (shape.net !== undefined) a[ATTR.NETWORK_TRANSPORT] = shape.net;
  if (shape.tool !== undefined) a[ATTR.TOOL_NAME] = shape.tool;
  if (shape.prompt !== undefined) a[ATTR.PROMPT_NAME] = shape.prompt;
  if (failure !== undefined) {
    a[ATTR.ERROR_TYPE] = failure.errorType;
    if (failure.statusCode !== undefined) a[ATTR.STATUS_CODE] = failure.statusCode;
  }
  return a;
}

interface Snapshot {
  counts: number[];
  sum: number;
  count: number;
  at: number;
}

/**
 * One per metric reader (each reader may want its own temporality).
 *
 * @example
 * const producer = new OperationMetricProducer(enums, resource);
 * const reader = new PeriodicExportingMetricReader({ exporter, metricProducers: [producer] });
 * producer.bind(reader);
 * producer.add(operationStats(server));
 */
export class OperationMetricProducer implements sdk.MetricProducer {
  private readonly sources: OperationStats[] = [];
  private delta = false;
  /** Delta temporality: what the last collection reported, per series. */
  private readonly last = new WeakMap<DurationSeries, Snapshot>();

  constructor(
    private readonly enums: SdkEnums,
    /** The SDK's resource (the reader reports its own; given for a complete result). */
    private readonly resource: sdk.ResourceMetrics['resource'],
  ) {}

  /** Takes the temporality `reader` selects for histograms. */
  bind(reader: Pick<sdk.MetricReader, 'selectAggregationTemporality'>): this {
    this.delta = reader.selectAggregationTemporality(this.enums.InstrumentType.HISTOGRAM) === this.enums.AggregationTemporality.DELTA;
    return this;
  }

  /** Reports `stats` from the next collection on. */
  add(stats: OperationStats): void {
    if (!this.sources.includes(stats)) this.sources.push(stats);
  }

  async collect(): Promise<sdk.CollectionResult> {
    const at = nowMs();
    const dataPoints: sdk.HistogramMetricData['dataPoints'] = [];
    for (const st of this.sources) {
      for (const s of st.series()) {
        const counts = Array.from(s.counts);
        let { sum, count } = s;
        let start = s.created;
        if (this.delta) {
          const prev = this.last.get(s);
          this.last.set(s, { counts, sum, count, at });
          if (prev !== undefined) {
            start = prev.at;
            sum -= prev.sum;
            count -= prev.count;
            for (let i = 0; i < counts.length; i++) counts[i]! -= prev.counts[i]!;
          }
        }
        if (count === 0) continue;
        // Min and max are kept since the series began: they belong on a cumulative point only (a
        // delta point's min/max would be its interval's, which the aggregate does not keep).
        const value: sdk.Histogram = { buckets: { boundaries: [...DURATION_BUCKETS], counts }, sum, count };
        if (!this.delta) {
          value.min = s.min;
          value.max = s.max;
        }
        dataPoints.push({ startTime: hr(start), endTime: hr(at), attributes: seriesAttributes(s), value });
      }
    }
    const metric: sdk.HistogramMetricData = {
      descriptor: { name: 'mcp.server.operation.duration', description: 'Duration of MCP requests as seen by the server', unit: 's', valueType: ValueType.DOUBLE },
      aggregationTemporality: this.delta ? this.enums.AggregationTemporality.DELTA : this.enums.AggregationTemporality.CUMULATIVE,
      dataPointType: this.enums.DataPointType.HISTOGRAM,
      dataPoints,
    };
    return {
      resourceMetrics: { resource: this.resource, scopeMetrics: dataPoints.length === 0 ? [] : [{ scope: { name: 'erlmcp' }, metrics: [metric] }] },
      errors: [],
    };
  }
}
