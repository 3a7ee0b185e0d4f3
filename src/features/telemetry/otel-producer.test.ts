/**
 * The OTel metric producer against the real metrics SDK: a MetricReader given the producer
 * collects `mcp.server.operation.duration` from the request aggregate, cumulative or delta as
 * the reader asks, with the conventions' attributes and buckets.
 */
import { metrics, resources } from '@opentelemetry/sdk-node';
import { AggregationTemporality, DataPointType, InstrumentType, MeterProvider, MetricReader, type HistogramMetricData, type MetricProducer } from '@opentelemetry/sdk-metrics';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '../../client/client.js';
import { McpServer } from '../../server/server.js';
import { InMemoryTransport } from '../../transports/memory.js';
import { DURATION_BUCKETS } from './conventions.js';
import { operationStats } from './operation-stats.js';
import { OperationMetricProducer } from './otel-producer.js';
import { instrumentServer } from './otel.js';

class TestReader extends MetricReader {
  constructor(temporality: AggregationTemporality, metricProducers: MetricProducer[]) {
    super({ aggregationTemporalitySelector: () => temporality, metricProducers });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function setup(temporality: AggregationTemporality) {
  const server = new McpServer({ name: 's', version: '1' });
  server.tool('echo', {}, () => ({ content: [] }));
  server.tool('sad', {}, () => ({ content: [], isError: true }));
  const producer = new OperationMetricProducer(metrics, resources.resourceFromAttributes({ 'service.name': 'test' }));
  const reader = new TestReader(temporality, [producer]);
  producer.bind(reader);
  new MeterProvider({ readers: [reader] });
  producer.add(operationStats(server));
  const client = new Client({ name: 'c', version: '1' });
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  await client.connect(ct);
  const histogram = async (): Promise<HistogramMetricData | undefined> => {
    const { resourceMetrics } = await reader.collect();
    const found = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'mcp.server.operation.duration');
    return found as HistogramMetricData | undefined;
  };
  const close = async () => {
    await client.close();
    await server.close();
  };
  return { client, histogram, close, stats: operationStats(server) };
}

const point = (h: HistogramMetricData | undefined, tool: string, error?: string) =>
  h?.dataPoints.find((p) => p.attributes['gen_ai.tool.name'] === tool && p.attributes['error.type'] === error);

describe('OperationMetricProducer', () => {
  it('reports cumulative histograms with the MCP attributes and buckets', async () => {
    const { client, histogram, close, stats } = await setup(AggregationTemporality.CUMULATIVE);
    await client.callTool({ name: 'echo' });
    await client.callTool({ name: 'echo' });
    await client.callTool({ name: 'sad' });
    let h = await histogram();
    assert.equal(h?.dataPointType, DataPointType.HISTOGRAM);
    assert.equal(h?.aggregationTemporality, AggregationTemporality.CUMULATIVE);
    assert.equal(h?.descriptor.unit, 's');
    const echo = point(h, 'echo');
    assert.equal(echo?.value.count, 2);
    assert.deepEqual(echo?.value.buckets.boundaries, [...DURATION_BUCKETS]);
    assert.equal(echo?.value.buckets.counts.reduce((a, b) => a + b, 0), 2);
    assert.equal(echo?.attributes['mcp.method.name'], 'tools/call');
    assert.equal(point(h, 'sad', 'tool_error')?.value.count, 1);
    await client.callTool({ name: 'echo' });
    h = await histogram();
    assert.equal(point(h, 'echo')?.value.count, 3, 'cumulative: every call so far');
    // Min and max since the series began: the aggregate's own, and they bracket the mean.
    const v = point(h, 'echo')!.value;
    const series = stats.series().find((s) => s.shape.tool === 'echo' && s.failure === undefined)!;
    assert.equal(v.min, series.min);
    assert.equal(v.max, series.max);
    assert.ok(v.min !== undefined && v.max !== undefined && v.sum !== undefined);
    assert.ok(v.min >= 0 && v.min <= v.max && v.min * v.count <= v.sum + 1e-12 && v.sum <= v.max * v.count + 1e-12, JSON.stringify(v));
    await close();
  });

  it('reports only what happened since the last collection when the reader asks for delta', async () => {
    const { client, histogram, close } = await setup(AggregationTemporality.DELTA);
    await client.callTool({ name: 'echo' });
    await client.callTool({ name: 'echo' });
    let h = await histogram();
    assert.equal(h?.aggregationTemporality, AggregationTemporality.DELTA);
    const first = point(h, 'echo');
    assert.equal(first?.value.count, 2);
    await client.callTool({ name: 'echo' });
    h = await histogram();
    const second = point(h, 'echo');
    assert.equal(second?.value.count, 1, 'delta: one call since the last collection');
    assert.equal(second?.value.buckets.counts.reduce((a, b) => a + b, 0), 1);
    assert.deepEqual(second?.startTime, first?.endTime, 'each delta starts where the last ended');
    assert.equal(second?.value.min, undefined, 'no min/max on a delta point: the aggregate keeps them since the start, not per interval');
    assert.equal(second?.value.max, undefined);
    h = await histogram();
    assert.equal(point(h, 'echo'), undefined, 'nothing new: no point');
    await close();
  });

  it("instrumentServer with durations 'aggregate' records nothing through the meter provider; the producer reports every call", async () => {
    const server = new McpServer({ name: 's', version: '1' });
    server.tool('echo', {}, () => ({ content: [] }));
    const producer = new OperationMetricProducer(metrics, resources.resourceFromAttributes({}));
    const reader = new TestReader(AggregationTemporality.CUMULATIVE, [producer]);
    producer.bind(reader);
    const meterProvider = new MeterProvider({ readers: [reader] });
    instrumentServer(server, { meterProvider, durations: 'aggregate' });
    producer.add(operationStats(server));
    const client = new Client({ name: 'c', version: '1' });
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    await client.connect(ct);
    await client.callTool({ name: 'echo' });
    await client.callTool({ name: 'echo' });
    const { resourceMetrics } = await reader.collect();
    const found = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === 'mcp.server.operation.duration');
    assert.equal(found.length, 1, 'one source of the histogram, not two');
    assert.equal(point(found[0] as HistogramMetricData, 'echo')?.value.count, 2);
    await client.close();
    await server.close();
  });

  it('binds to the temporality the reader selects for histograms', () => {
    const p = new OperationMetricProducer(metrics, resources.resourceFromAttributes({}));
    let asked: InstrumentType | undefined;
    p.bind({
      selectAggregationTemporality: (t) => {
        asked = t;
        return AggregationTemporality.DELTA;
      },
    });
    assert.equal(asked, InstrumentType.HISTOGRAM);
  });
});
