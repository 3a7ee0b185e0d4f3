import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connectPair, RawPeer } from '../../test/helpers/pair.js';
import { ErrorCode, McpError } from '../protocol/errors.js';
import type { JSONRPCMessage } from '../protocol/types.js';
import type { Call } from './middleware.js';
import { McpServer } from './server.js';

let servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
function newServer(): McpServer {
  const s = new McpServer({ name: 'mw', version: '1.0.0' });
  s.tool('echo', { inputSchema: { type: 'object' } }, (args) => ({ content: [{ type: 'text', text: JSON.stringify(args) }] }));
  servers.push(s);
  return s;
}

describe('request middleware', () => {
  it('sees the method, target, transport and session, and wraps the handler (outermost first)', async () => {
    const server = newServer();
    const seen: string[] = [];
    let call: Call | undefined;
    server.use(async (c, next) => {
      seen.push(`outer>${c.method}`);
      const r = await next();
      seen.push(`outer<${c.method}`);
      return r;
    });
    server.use(async (c, next) => {
      if (c.method === 'tools/call') call = c;
      seen.push(`inner>${c.method}`);
      return next();
    });
    const pair = await connectPair(server);
    const r = await pair.client.callTool({ name: 'echo', arguments: { a: 1 } });
    assert.deepEqual(r.content, [{ type: 'text', text: '{"a":1}' }]);
    assert.ok(call);
    assert.equal(call.method, 'tools/call');
    assert.equal(call.target, 'echo');
    assert.equal(call.transport, 'memory');
    assert.equal(call.session?.protocolVersion, '2025-11-25');
    assert.equal(call.session?.clientInfo?.name, 'test-client');
    assert.equal(call.signal.aborted, false);
    assert.deepEqual(
      seen.filter((s) => s.endsWith('tools/call')),
      ['outer>tools/call', 'inner>tools/call', 'outer<tools/call'],
    );
    await pair.close();
  });

  it('can answer without calling the handler, or refuse with a wire error, and the session keeps serving', async () => {
    const server = newServer();
    let handlerRuns = 0;
    server.tool('counted', {}, () => (handlerRuns++, { content: [] }));
    server.use((c, next) => {
      if (c.target === 'cached') return { content: [{ type: 'text', text: 'from cache' }] };
      if (c.target === 'forbidden') throw new McpError(ErrorCode.InvalidParams, 'Not allowed: forbidden', { reason: 'policy' });
      return next();
    });
    const peer = await RawPeer.connect(server);
    await peer.initialize();
    const cached = await peer.request('tools/call', { name: 'cached' });
    assert.deepEqual(cached.result, { content: [{ type: 'text', text: 'from cache' }] });
    const refused = await peer.request('tools/call', { name: 'forbidden' });
    assert.deepEqual(refused.error, { code: -32602, message: 'Not allowed: forbidden', data: { reason: 'policy' } });
    const ok = await peer.request('tools/call', { name: 'counted' });
    assert.deepEqual(ok.result, { content: [] });
    assert.equal(handlerRuns, 1);
    await peer.close();
  });

  it('a middleware that calls next() twice gets an error instead of running the handler twice', async () => {
    const server = newServer();
    let runs = 0;
    server.tool('once', {}, () => (runs++, { content: [] }));
    server.use(async (_c, next) => {
      await next();
      return next();
    });
    const peer = await RawPeer.connect(server);
    await peer.initialize();
    const r = await peer.request('tools/call', { name: 'once' });
    assert.equal(r.error?.code, ErrorCode.InternalError);
    assert.match(r.error!.message, /called next\(\) twice/);
    assert.equal(runs, 1);
    await peer.close();
  });

  it('a middleware that throws a plain error answers -32603 with its message', async () => {
    const server = newServer();
    server.use(() => {
      throw new Error('boom in middleware');
    });
    const peer = await RawPeer.connect(server);
    // initialize itself passes through the chain too
    const r = await peer.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } });
    assert.deepEqual(r.error, { code: ErrorCode.InternalError, message: 'boom in middleware' });
    await peer.close();
  });
});

describe('outbound hook', () => {
  it('sees every message a session sends and may replace it', async () => {
    const server = newServer();
    const kinds: string[] = [];
    server.onOutbound((m: JSONRPCMessage) => {
      kinds.push('method' in m ? m.method : 'response');
      if ('result' in m && (m.result as { content?: unknown[] }).content) {
        return { ...m, result: { ...m.result, _meta: { stamped: true } } } as JSONRPCMessage;
      }
      return undefined;
    });
    server.tool('talk', {}, async (_a, ctx) => {
      await ctx.log('info', 'hello');
      return { content: [] };
    });
    const pair = await connectPair(server);
    const r = await pair.client.callTool({ name: 'talk' });
    assert.deepEqual(r._meta, { stamped: true });
    assert.ok(kinds.includes('notifications/message'));
    assert.ok(kinds.includes('response'));
    await pair.close();
  });
});
