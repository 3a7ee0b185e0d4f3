/**
 * One trace across two nodes on Redis: the proxy sends the tools/call POST to node 0 and the
 * client's sampling reply to node 1, which hands it to the call waiting on node 0. Each node has
 * its own tracer provider, so the test sees which node made which span.
 */
import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { RoundRobinProxy, type ProxiedRequest } from '../../src/cluster/proxy.js';
import { Client } from '../../src/client/index.js';
import { instrumentClient, instrumentServer } from '../../src/features/telemetry/index.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/index.js';
import { deleteKeys, requireRedis, testPrefix, waitFor } from './helpers.js';
import { startInProcessNode, type InProcessNode } from './in-process.js';

function role(req: ProxiedRequest): number | undefined {
  if (req.method !== 'POST') return 0;
  let body: { method?: string; result?: unknown; error?: unknown } | undefined;
  try {
    body = JSON.parse(req.body.toString()) as typeof body;
  } catch {
    return undefined;
  }
  if (body && body.method === undefined && (body.result !== undefined || body.error !== undefined)) return 1;
  return 0;
}

function tracing(): { provider: BasicTracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  return { exporter, provider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }) };
}

describe('tracing across two nodes on Redis', { concurrency: false, timeout: 240_000 }, () => {
  const prefix = testPrefix();
  const sides = [tracing(), tracing()];
  const local = tracing();
  let admin: Redis;
  let nodes: InProcessNode[] = [];
  let proxy: RoundRobinProxy;
  let client: Client;

  before(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(local.provider);
    admin = await requireRedis();
    for (const side of sides) {
      nodes.push(
        await startInProcessNode(prefix, (server) => {
          server.tool('ask', {}, async (_args, ctx) => {
            const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'q' } }], maxTokens: 5 });
            return { content: [{ type: 'text', text: (r.content as { text: string }).text }] };
          });
          instrumentServer(server, { tracerProvider: side.provider });
        }),
      );
    }
    proxy = new RoundRobinProxy({ backends: nodes.map((n) => n.origin), pick: role });
    const { url } = await proxy.listen();
    client = new Client({ name: 'traced', version: '1' }, { sampling: () => ({ role: 'assistant', content: { type: 'text', text: 'answer' }, model: 'm' }) });
    instrumentClient(client);
    await client.connect(new StreamableHttpClientTransport(`${url}/mcp`));
  });

  after(async () => {
    await client?.close();
    await proxy?.close();
    await Promise.all(nodes.map((n) => n.close()));
    if (admin) {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it('client → node 0 → sampling → client (reply via node 1) is one trace with the MCP attributes', async () => {
    const start = proxy.log.length;
    await trace.getTracer('test').startActiveSpan('app', async (span) => {
      const r = await client.callTool({ name: 'ask' });
      assert.deepEqual(r.content, [{ type: 'text', text: 'answer' }]);
      span.end();
    });
    await waitFor('the reply answered by node 1', () => proxy.log.slice(start).some((e) => e.method === 'POST' && e.body.includes('"result"') && e.backend === 1 && e.status === 202));
    const mine = local.exporter.getFinishedSpans();
    const find = (spans: ReadableSpan[], name: string, kind: SpanKind): ReadableSpan => {
      const s = spans.find((x) => x.name === name && x.kind === kind);
      assert.ok(s, `${name} not in ${spans.map((x) => x.name).join(', ')}`);
      return s;
    };
    const app = find(mine, 'app', SpanKind.INTERNAL);
    const clientCall = find(mine, 'tools/call ask', SpanKind.CLIENT);
    const sampling = find(mine, 'sampling/createMessage', SpanKind.SERVER);
    const serverCall = find(sides[0]!.exporter.getFinishedSpans(), 'tools/call ask', SpanKind.SERVER);
    assert.ok(!sides[1]!.exporter.getFinishedSpans().some((s) => s.name === 'tools/call ask'), 'the tool ran on node 0 only');
    const traceId = app.spanContext().traceId;
    for (const s of [clientCall, serverCall, sampling]) assert.equal(s.spanContext().traceId, traceId);
    assert.equal(clientCall.parentSpanContext?.spanId, app.spanContext().spanId);
    assert.equal(serverCall.parentSpanContext?.spanId, clientCall.spanContext().spanId);
    assert.equal(sampling.parentSpanContext?.spanId, serverCall.spanContext().spanId);
    assert.equal(serverCall.attributes['mcp.method.name'], 'tools/call');
    assert.equal(serverCall.attributes['gen_ai.tool.name'], 'ask');
    assert.equal(typeof serverCall.attributes['mcp.session.id'], 'string');
    assert.equal(clientCall.attributes['mcp.session.id'], serverCall.attributes['mcp.session.id']);
    assert.equal(serverCall.attributes['network.transport'], 'tcp');
  });
});
