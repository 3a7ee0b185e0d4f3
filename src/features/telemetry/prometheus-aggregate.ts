/**
 * `mcp_server_operation_duration_seconds` read from the servers' request aggregates
 * (operation-stats.ts) when scraped: a prom-client Histogram whose values are the aggregate's
 * series, so the registry formats it, `promtool` and the cluster aggregation
 * (AggregatorRegistry sums histograms by label set) see an ordinary histogram, and no request
 * ever calls `observe`.
 */
import { Histogram, type HistogramConfiguration, type LabelValues, type MetricType } from 'prom-client';
import { DURATION_BUCKETS } from './conventions.js';
import type { DurationSeries, OperationStats } from './operation-stats.js';

/** prom-client types its metric kinds as a declaration-only enum; the registry reads the string. */
const HISTOGRAM = 'histogram' as unknown as MetricType;

type Label = 'mcp_method_name' | 'gen_ai_tool_name' | 'gen_ai_prompt_name' | 'error_type' | 'rpc_response_status_code' | 'mcp_protocol_version' | 'network_transport';

/** One exposition value, as prom-client's histogram builds them (`le` in `labels`, the series' labels shared). */
interface Value {
  labels: Record<string, string | number>;
  sharedLabels: LabelValues<string>;
  value: number;
  metricName: string;
}

/** The label set of a series (the order is the exposition's: method, target, version, carrier, failure). */
export function seriesLabels(s: DurationSeries): LabelValues<Label> {
  const { shape, failure } = s;
  const labels: LabelValues<Label> = { mcp_method_name: shape.method };
  if (shape.tool !== undefined) labels.gen_ai_tool_name = shape.tool;
  if (shape.prompt !== undefined) labels.gen_ai_prompt_name = shape.prompt;
  if (shape.protocolVersion !== undefined) labels.mcp_protocol_version = shape.protocolVersion;
  if (shape.net !== undefined) labels.network_transport = shape.net;
  if (failure !== undefined) {
    labels.error_type = failure.errorType;
    if (failure.statusCode !== undefined) labels.rpc_response_status_code = failure.statusCode;
  }
  return labels;
}

export class AggregateHistogram extends Histogram<Label> {
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(
    configuration: HistogramConfiguration<Label>,
    private readonly sources: readonly OperationStats[],
  ) {
    super(configuration);
    this.metricName = configuration.name;
    this.metricHelp = configuration.help;
  }

  /** What the registry formats (prom-client calls it in place of `get` for the text exposition). */
  async getForPromString(): Promise<{ name: string; help: string; type: MetricType; values: Value[]; aggregator: 'sum' }> {
    const name = this.metricName;
    const values: Value[] = [];
    for (const st of this.sources) {
      for (const s of st.series()) {
        if (s.count === 0) continue;
        const shared = seriesLabels(s) as LabelValues<string>;
        let acc = 0;
        for (let i = 0; i < DURATION_BUCKETS.length; i++) {
          acc += s.counts[i]!;
          values.push({ labels: { le: DURATION_BUCKETS[i]! }, sharedLabels: shared, value: acc, metricName: `${name}_bucket` });
        }
        values.push({ labels: { le: '+Inf' }, sharedLabels: shared, value: s.count, metricName: `${name}_bucket` });
        values.push({ labels: {}, sharedLabels: shared, value: s.sum, metricName: `${name}_sum` });
        values.push({ labels: {}, sharedLabels: shared, value: s.count, metricName: `${name}_count` });
      }
    }
    return { name, help: this.metricHelp, type: HISTOGRAM, values, aggregator: 'sum' };
  }

  /** The JSON form (getMetricsAsJSON, the cluster aggregation): each value's labels in one object. */
  override async get(): ReturnType<Histogram<Label>['get']> {
    const data = await this.getForPromString();
    return {
      ...data,
      collect: () => {},
      values: data.values.map((v) => ({ value: v.value, metricName: v.metricName, labels: { ...v.sharedLabels, ...v.labels } as LabelValues<Label> })),
    };
  }
}
