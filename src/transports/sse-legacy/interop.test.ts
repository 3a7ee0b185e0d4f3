/**
 * Cross-implementation checks of the 2024-11-05 HTTP+SSE transport against the official SDK:
 * its legacy client drives our LegacySseServer, and our LegacySseClientTransport drives its
 * legacy server (SSEServerTransport).
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CreateMessageRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { Client } from '../../client/index.js';
import { McpServer } from '../../server/index.js';
import { LegacySseClientTransport } from './client.js';
import { SDK_LEGACY_SERVER_NAME, startSdkLegacyServer } from './fixtures/sdk-legacy-server.js';
import { LegacySseServer } from './server.js';

async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function makeServer(): McpServer {
  const server = new McpServer({ name: 'erlmcp-legacy', version: '1.0.0' });
  const textSchema = { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } as const;
  server.tool('echo', { description: 'Echo', inputSchema: textSchema }, async (args) => ({ content: [{ type: 'text', text: String(args.text) }] }));
  server.tool('chatty', { description: 'Logs, reports progress, echoes', inputSchema: textSchema }, async (args, ctx) => {
    await ctx.log('info', 'working');
    await ctx.progress(1, 1);
    // The SDK client runs notification handlers a microtask late but drops a request's progress
    // handler as soon as its response arrives: a response read in the same chunk would win.
    await new Promise((r) => setTimeout(r, 20));
    return { content: [{ type: 'text', text: String(args.text) }] };
  });
  server.tool('sample', { description: 'Asks the client LLM' }, async (_args, ctx) => {
    const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 });
    return { content: [{ type: 'text', text: `model said: ${String((r.content as { text?: string }).text)}` }] };
  });
  return server;
}

async function startOurs(t: TestContext): Promise<{ url: string; legacy: LegacySseServer }> {
  const legacy = new LegacySseServer({ server: makeServer() });
  const { url } = await legacy.listen(0);
  t.after(() => legacy.close());
  return { url, legacy };
}

describe('official SDK legacy client → our LegacySseServer', () => {
  it('initializes, lists and calls tools, with logs and progress', async (t) => {
    const { url, legacy } = await startOurs(t);
    const client = new SdkClient({ name: 'sdk-legacy-client', version: '1.0.0' });
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params.data));
    await client.connect(new SSEClientTransport(new URL(url)));
    t.after(() => client.close());
    assert.equal(client.getServerVersion()?.name, 'erlmcp-legacy');
    assert.equal(legacy.sessionCount, 1);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((x) => x.name).sort(), ['chatty', 'echo', 'sample']);
    const progress: unknown[] = [];
    const r = await client.callTool({ name: 'chatty', arguments: { text: 'from sdk' } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    assert.deepEqual(r.content, [{ type: 'text', text: 'from sdk' }]);
    assert.deepEqual(progress, [1]);
    await until(() => logs.length === 1);
    assert.deepEqual(logs, ['working']);
  });

  it('answers a sampling request from our tool', async (t) => {
    const { url } = await startOurs(t);
    const client = new SdkClient({ name: 'sdk-legacy-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', content: { type: 'text', text: 'sdk model' }, model: 'm' }));
    await client.connect(new SSEClientTransport(new URL(url)));
    t.after(() => client.close());
    const r = await client.callTool({ name: 'sample', arguments: {} });
    assert.deepEqual(r.content, [{ type: 'text', text: 'model said: sdk model' }]);
  });

  it('closing the SDK client ends our session', async (t) => {
    const { url, legacy } = await startOurs(t);
    const client = new SdkClient({ name: 'sdk-legacy-client', version: '1.0.0' });
    await client.connect(new SSEClientTransport(new URL(url)));
    assert.equal(legacy.sessionCount, 1);
    await client.close();
    await until(() => legacy.sessionCount === 0);
  });
});

describe('our LegacySseClientTransport → official SDK SSEServerTransport', () => {
  it('initializes, calls tools with progress, and answers sampling', async (t) => {
    const host = await startSdkLegacyServer();
    t.after(() => host.close());
    const client = new Client(
      { name: 'erlmcp-client', version: '1.0.0' },
      { sampling: async (p) => ({ role: 'assistant', content: { type: 'text', text: `echo ${String((p.messages[0]?.content as { text?: string }).text)}` }, model: 'm' }) },
    );
    const transport = new LegacySseClientTransport(host.url);
    await client.connect(transport);
    t.after(() => client.close());
    assert.equal(client.serverInfo?.name, SDK_LEGACY_SERVER_NAME);
    assert.equal(host.sessions.size, 1);
    assert.ok(transport.sessionId && host.sessions.has(transport.sessionId), 'the SDK session id is the one in the endpoint URI');
    const echo = await client.callTool({ name: 'echo', arguments: { text: 'to sdk' } });
    assert.deepEqual(echo.content, [{ type: 'text', text: 'to sdk' }]);
    const progress: number[] = [];
    const p = await client.callTool({ name: 'progress', arguments: {} }, { onprogress: (x) => progress.push(x.progress) });
    assert.deepEqual(p.content, [{ type: 'text', text: 'done' }]);
    assert.deepEqual(progress, [1]);
    const llm = await client.callTool({ name: 'ask_llm', arguments: { question: 'why?' } });
    assert.deepEqual(llm.content, [{ type: 'text', text: 'llm: echo why?' }]);
    await client.close();
    await until(() => host.sessions.size === 0);
  });
});
