import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { z } from 'zod';
import { connectPair, until, WAIT_MS } from '../../test/helpers/pair.js';
import { SpyTransport, type AnyMessage } from '../../test/helpers/spy.js';
import { ErlmcpError, McpError, UrlElicitationRequiredError } from '../protocol/errors.js';
import type { MessageExtra, Transport } from '../protocol/transport.js';
import type { CallToolResult, CreateMessageRequestParams, ElicitRequestParams, JSONRPCMessage, TextContent } from '../protocol/types.js';
import { McpServer } from '../server/server.js';
import type { ServerSession } from '../server/session.js';
import { InMemoryTransport } from '../transports/memory.js';
import { Client, type ClientOptions } from './client.js';

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
});
function newServer(): McpServer {
  const s = new McpServer({ name: 'client-test-server', version: '1.0.0' });
  cleanups.push(() => s.close());
  return s;
}
function text(r: CallToolResult): string {
  return r.content.map((c) => (c as TextContent).text).join('\n');
}
function isLocal(code: string) {
  return (e: unknown) => e instanceof ErlmcpError && e.code === code;
}
/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error(String(signal.reason)));
    }, { once: true });
  });
}

/** A Client whose transport is wrapped in a SpyTransport, against a real McpServer. */
async function spiedPair(server: McpServer, options?: ClientOptions) {
  const [ct, st] = InMemoryTransport.createLinkedPair({ structuredClone: true });
  const serverSession = await server.connect(st);
  const spy = new SpyTransport(ct);
  const client = new Client({ name: 'spied', version: '1' }, options);
  await client.connect(spy);
  await until(() => serverSession.initialized, WAIT_MS, 'initialized');
  return { client, spy, serverSession };
}

type Answer = Record<string, unknown> | { error: { code: number; message: string } } | undefined;

/** A hand-written server: `answer` decides each request's result (undefined = never answer). */
async function fakeServer(answer: (m: AnyMessage) => Answer) {
  const [clientEnd, serverEnd] = InMemoryTransport.createLinkedPair({ structuredClone: true });
  const received: AnyMessage[] = [];
  serverEnd.onmessage = (value) => {
    const m = value as AnyMessage;
    received.push(m);
    if (m.method === undefined || m.id === undefined) return;
    const a = answer(m);
    if (a === undefined) return;
    const reply = 'error' in a && typeof a.error === 'object' ? { jsonrpc: '2.0', id: m.id, error: a.error } : { jsonrpc: '2.0', id: m.id, result: a };
    void serverEnd.send(reply as JSONRPCMessage);
  };
  await serverEnd.start();
  cleanups.push(() => serverEnd.close());
  return { clientEnd, serverEnd, received };
}

const INIT_RESULT = { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'fake', version: '1' } };

describe('progress and timeouts', () => {
  function progressServer(): McpServer {
    const server = newServer();
    server.tool('steps', { inputSchema: z.object({ steps: z.number(), interval: z.number(), report: z.boolean() }) }, async ({ steps, interval, report }, ctx) => {
      for (let i = 1; i <= steps; i++) {
        await abortableSleep(interval, ctx.signal);
        if (report) await ctx.progress(i, steps, `step ${i}`);
      }
      return { content: [{ type: 'text', text: 'finished' }] };
    });
    return server;
  }

  it('delivers progress notifications to onprogress', async () => {
    const { client } = await connectPair(progressServer());
    const seen: unknown[] = [];
    const r = await client.callTool({ name: 'steps', arguments: { steps: 3, interval: 1, report: true } }, { onprogress: (p) => seen.push(p) });
    assert.equal(text(r), 'finished');
    assert.deepEqual(seen, [
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 2, total: 3, message: 'step 2' },
      { progress: 3, total: 3, message: 'step 3' },
    ]);
  });

  // Margins are wide on purpose (the machine may be loaded): a step takes 50 ms against a 1 s
  // timeout, and the work outlasts every timeout that must fire by seconds.
  it('keeps a 1 s request alive through 1.5 s of work while progress arrives every 50 ms', async () => {
    const { client } = await connectPair(progressServer());
    let count = 0;
    const r = await client.callTool({ name: 'steps', arguments: { steps: 30, interval: 50, report: true } }, { timeoutMs: 1000, onprogress: () => count++ });
    assert.equal(text(r), 'finished');
    assert.equal(count, 30);
  });

  it('fails with ERR_TIMEOUT after 300 ms when no progress arrives', async () => {
    const { client } = await connectPair(progressServer());
    const started = Date.now();
    await assert.rejects(client.callTool({ name: 'steps', arguments: { steps: 40, interval: 100, report: false } }, { timeoutMs: 300, onprogress: () => {} }), isLocal('ERR_TIMEOUT'));
    const elapsed = Date.now() - started;
    // Not before the timeout; the 4 s of work would have finished (no error) had it not fired.
    assert.ok(elapsed >= 290, `timed out after ${elapsed} ms`);
  });

  it('caps the total time with maxTotalTimeoutMs however much progress arrives', async () => {
    const { client } = await connectPair(progressServer());
    const started = Date.now();
    await assert.rejects(
      client.callTool({ name: 'steps', arguments: { steps: 80, interval: 50, report: true } }, { timeoutMs: 1000, maxTotalTimeoutMs: 500, onprogress: () => {} }),
      isLocal('ERR_TIMEOUT'),
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 490, `timed out after ${elapsed} ms`);
  });

  it('times out against a server that never answers and tells it with notifications/cancelled', async () => {
    const fake = await fakeServer((m) => (m.method === 'initialize' ? INIT_RESULT : undefined));
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(fake.clientEnd);
    await assert.rejects(client.callTool({ name: 'anything' }, { timeoutMs: 50 }), isLocal('ERR_TIMEOUT'));
    const call = fake.received.find((m) => m.method === 'tools/call');
    await until(() => fake.received.some((m) => m.method === 'notifications/cancelled'), WAIT_MS, 'cancelled');
    const cancel = fake.received.find((m) => m.method === 'notifications/cancelled');
    assert.equal(cancel?.params?.requestId, call?.id);
  });
});

describe('cancellation', () => {
  it('aborting sends notifications/cancelled, aborts the handler signal, and no response follows', async () => {
    const server = newServer();
    let observedAbort: unknown;
    let started = false;
    server.tool('wait', {}, async (_args, ctx) => {
      started = true;
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      observedAbort = ctx.signal.reason;
      // Returning normally after the abort must still produce no response.
      return { content: [{ type: 'text', text: 'too late' }] };
    });
    const { client, spy } = await spiedPair(server);
    const ac = new AbortController();
    const p = client.callTool({ name: 'wait' }, { signal: ac.signal });
    await until(() => started, WAIT_MS, 'tool start');
    ac.abort('user changed their mind');
    await assert.rejects(p, (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CANCELLED' && /changed their mind/.test(e.message));
    const call = spy.sent.find((s) => s.message.method === 'tools/call')!.message;
    const cancel = spy.sent.find((s) => s.message.method === 'notifications/cancelled')?.message;
    assert.deepEqual(cancel?.params, { requestId: call.id, reason: 'user changed their mind' });
    await until(() => observedAbort !== undefined, WAIT_MS, 'handler abort');
    assert.equal(observedAbort, 'user changed their mind');
    // The session keeps working; a late response would have arrived before the pong.
    await client.ping();
    assert.equal(spy.received.some((m) => m.id === call.id), false, 'no response for a cancelled request');
  });
});

describe('sampling', () => {
  it('round-trips sampling/createMessage with tools and toolChoice', async () => {
    const server = newServer();
    const weatherTool = { name: 'get_weather', description: 'Weather by city', inputSchema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };
    server.tool('agent', {}, async (_args, ctx) => {
      const first = await ctx.sample({
        messages: [{ role: 'user', content: { type: 'text', text: 'Weather in Paris?' } }],
        maxTokens: 200,
        tools: [weatherTool],
        toolChoice: { mode: 'auto' },
      });
      const use = (Array.isArray(first.content) ? first.content : [first.content]).find((c) => c.type === 'tool_use');
      assert.ok(use && use.type === 'tool_use');
      const second = await ctx.sample({
        messages: [
          { role: 'user', content: { type: 'text', text: 'Weather in Paris?' } },
          { role: 'assistant', content: [use] },
          { role: 'user', content: [{ type: 'tool_result', toolUseId: use.id, content: [{ type: 'text', text: '18°C' }] }] },
        ],
        maxTokens: 200,
        tools: [weatherTool],
        toolChoice: { mode: 'none' },
      });
      const final = second.content as TextContent;
      return { content: [{ type: 'text', text: `${first.stopReason}|${JSON.stringify(use.input)}|${final.text}|${second.model}` }] };
    });
    const requests: CreateMessageRequestParams[] = [];
    const { client } = await connectPair(server, {
      samplingTools: true,
      sampling: (params) => {
        requests.push(params);
        if (requests.length === 1) {
          return { role: 'assistant', content: [{ type: 'tool_use', id: 'call-1', name: 'get_weather', input: { city: 'Paris' } }], model: 'test-model', stopReason: 'toolUse' };
        }
        return { role: 'assistant', content: { type: 'text', text: 'It is 18°C in Paris.' }, model: 'test-model', stopReason: 'endTurn' };
      },
    });
    assert.deepEqual(client.capabilities().sampling, { tools: {} });
    const r = await client.callTool({ name: 'agent' });
    assert.equal(text(r), 'toolUse|{"city":"Paris"}|It is 18°C in Paris.|test-model');
    assert.deepEqual(requests[0]?.tools, [weatherTool]);
    assert.deepEqual(requests[0]?.toolChoice, { mode: 'auto' });
    assert.deepEqual(requests[1]?.toolChoice, { mode: 'none' });
    assert.deepEqual(requests[1]?.messages[2]?.content, [{ type: 'tool_result', toolUseId: 'call-1', content: [{ type: 'text', text: '18°C' }] }]);
  });

  it('surfaces an error thrown by the client sampling handler to the tool', async () => {
    const server = newServer();
    server.tool('agent', {}, async (_a, ctx) => {
      await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 });
      return { content: [] };
    });
    const { client } = await connectPair(server, {
      sampling: () => {
        throw new McpError(-1, 'User rejected sampling request');
      },
    });
    const r = await client.callTool({ name: 'agent' });
    assert.equal(r.isError, true);
    assert.match(text(r), /User rejected sampling request/);
  });
});

describe('server-to-client requests', () => {
  it('carry the server idPrefix in their ids', async () => {
    const server = new McpServer({ name: 's', version: '1' }, { idPrefix: 'node-a:' });
    cleanups.push(() => server.close());
    server.tool('ask', {}, async (_a, ctx) => {
      await ctx.listRoots();
      return { content: [] };
    });
    const { client, spy } = await spiedPair(server, { roots: [] });
    await client.callTool({ name: 'ask' });
    const req = spy.received.find((m) => m.method === 'roots/list');
    assert.match(String(req?.id), /^node-a:/);
  });

  it('time out after the server defaultTimeoutMs, cancel the client handler, and surface as isError', async () => {
    const server = new McpServer({ name: 's', version: '1' }, { defaultTimeoutMs: 60 });
    cleanups.push(() => server.close());
    server.tool('agent', {}, async (_a, ctx) => {
      await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 });
      return { content: [] };
    });
    let handlerAborted = false;
    const { client } = await connectPair(server, {
      sampling: (_p, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => {
            handlerAborted = true;
            reject(new Error('aborted'));
          }),
        ),
    });
    const r = await client.callTool({ name: 'agent' });
    assert.equal(r.isError, true);
    assert.match(text(r), /timed out/);
    await until(() => handlerAborted, WAIT_MS, 'client sampling handler abort');
  });

  it('are cancelled with the tool call they were made for', async () => {
    const server = newServer();
    let toolSawAbort = false;
    server.tool('agent', {}, async (_a, ctx) => {
      try {
        await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 });
      } finally {
        toolSawAbort = ctx.signal.aborted;
      }
      return { content: [] };
    });
    let samplingStarted = false;
    let samplingAborted = false;
    const { client } = await connectPair(server, {
      sampling: (_p, ctx) =>
        new Promise((_resolve, reject) => {
          samplingStarted = true;
          ctx.signal.addEventListener('abort', () => {
            samplingAborted = true;
            reject(new Error('aborted'));
          });
        }),
    });
    const ac = new AbortController();
    const call = client.callTool({ name: 'agent' }, { signal: ac.signal });
    await until(() => samplingStarted, WAIT_MS, 'sampling start');
    ac.abort('stop');
    await assert.rejects(call, isLocal('ERR_CANCELLED'));
    await until(() => samplingAborted, WAIT_MS, 'nested sampling cancelled');
    await until(() => toolSawAbort, WAIT_MS, 'tool abort');
  });
});

describe('elicitation', () => {
  it('fills in schema defaults when the user accepts with {} (SEP-1034)', async () => {
    const server = newServer();
    let content: unknown;
    server.tool('ask', {}, async (_args, ctx) => {
      const r = await ctx.elicit({
        message: 'Your details',
        requestedSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', default: 'John Doe' },
            age: { type: 'integer', default: 30 },
            score: { type: 'number', default: 95.5 },
            status: { type: 'string', enum: ['active', 'inactive', 'pending'], default: 'active' },
            verified: { type: 'boolean', default: true },
            nickname: { type: 'string' },
          },
        },
      });
      content = r.content;
      return { content: [{ type: 'text', text: r.action }] };
    });
    let seen: ElicitRequestParams | undefined;
    const { client } = await connectPair(server, {
      elicitation: (params) => {
        seen = params;
        return { action: 'accept', content: {} };
      },
    });
    assert.equal(text(await client.callTool({ name: 'ask' })), 'accept');
    assert.equal(seen?.message, 'Your details');
    assert.deepEqual(content, { name: 'John Doe', age: 30, score: 95.5, status: 'active', verified: true });
  });

  it('keeps values the user gave and adds nothing on decline', async () => {
    const server = newServer();
    const results: unknown[] = [];
    server.tool('ask', {}, async (_args, ctx) => {
      results.push(await ctx.elicit({ message: 'm', requestedSchema: { type: 'object', properties: { name: { type: 'string', default: 'x' }, ok: { type: 'boolean', default: true } } } }));
      return { content: [] };
    });
    const answers = [{ action: 'accept' as const, content: { name: 'Ada', ok: false } }, { action: 'decline' as const }];
    const { client } = await connectPair(server, { elicitation: () => answers.shift()! });
    await client.callTool({ name: 'ask' });
    await client.callTool({ name: 'ask' });
    assert.deepEqual(results, [{ action: 'accept', content: { name: 'Ada', ok: false } }, { action: 'decline' }]);
  });

  it('runs URL mode and delivers notifications/elicitation/complete', async () => {
    const server = newServer();
    server.tool('connect', {}, async (_args, ctx) => {
      const r = await ctx.elicitUrl({ message: 'Authorize access', elicitationId: 'el-42', url: 'https://example.com/authorize?state=el-42' });
      await ctx.session.notifyElicitationComplete('el-42');
      return { content: [{ type: 'text', text: r.action }] };
    });
    let seen: ElicitRequestParams | undefined;
    const { client } = await connectPair(server, {
      elicitationModes: ['url'],
      elicitation: (params) => {
        seen = params;
        return { action: 'accept' };
      },
    });
    assert.deepEqual(client.capabilities().elicitation, { url: {} });
    const completed: string[] = [];
    client.onElicitationComplete = (id) => completed.push(id);
    assert.equal(text(await client.callTool({ name: 'connect' })), 'accept');
    assert.deepEqual(seen, { message: 'Authorize access', elicitationId: 'el-42', url: 'https://example.com/authorize?state=el-42', mode: 'url' });
    await until(() => completed.length === 1, WAIT_MS, 'elicitation/complete');
    assert.deepEqual(completed, ['el-42']);
  });

  it('turns a tool throwing UrlElicitationRequiredError into McpError -32042 with data.elicitations', async () => {
    const server = newServer();
    const elicitations = [{ mode: 'url' as const, message: 'Connect your account', elicitationId: 'auth-1', url: 'https://example.com/connect' }];
    server.tool('private', {}, () => {
      throw new UrlElicitationRequiredError(elicitations, 'Authorization required');
    });
    const { client } = await connectPair(server, { elicitationModes: ['url'], elicitation: () => ({ action: 'accept' }) });
    await assert.rejects(client.callTool({ name: 'private' }), (e: unknown) => {
      assert.ok(e instanceof McpError);
      assert.equal(e.code, -32042);
      assert.equal(e.message, 'Authorization required');
      assert.deepEqual((e.data as { elicitations: unknown }).elicitations, elicitations);
      assert.ok(e instanceof UrlElicitationRequiredError);
      assert.deepEqual(e.elicitations, elicitations);
      return true;
    });
  });

  it('accepts form elicitation from a client declaring the 2025-06-18 empty elicitation capability', async () => {
    const server = newServer();
    server.tool('ask', {}, async (_a, ctx) => {
      const r = await ctx.elicit({ message: 'm', requestedSchema: { type: 'object', properties: { a: { type: 'string' } } } });
      return { content: [{ type: 'text', text: String(r.content?.a) }] };
    });
    const { client } = await connectPair(server, { capabilities: { elicitation: {} }, elicitation: () => ({ action: 'accept', content: { a: 'yes' } }) });
    assert.equal(text(await client.callTool({ name: 'ask' })), 'yes');
  });
});

describe('roots', () => {
  it('answers roots/list and tells the server when roots change', async () => {
    const server = newServer();
    server.tool('roots', {}, async (_a, ctx) => {
      const r = await ctx.listRoots();
      return { content: [{ type: 'text', text: r.roots.map((x) => `${x.name}=${x.uri}`).join(',') }] };
    });
    const changedSessions: ServerSession[] = [];
    server.onrootschanged = (s) => changedSessions.push(s);
    const { client, serverSession } = await connectPair(server, { roots: [{ uri: 'file:///home/user/project', name: 'project' }] });
    assert.deepEqual(serverSession.clientCapabilities.roots, { listChanged: true });
    assert.equal(text(await client.callTool({ name: 'roots' })), 'project=file:///home/user/project');
    await client.setRoots([
      { uri: 'file:///a', name: 'a' },
      { uri: 'file:///b', name: 'b' },
    ]);
    await until(() => changedSessions.length === 1, WAIT_MS, 'onrootschanged');
    assert.equal(changedSessions[0], serverSession);
    assert.equal(text(await client.callTool({ name: 'roots' })), 'a=file:///a,b=file:///b');
  });
});

describe('capability checks in handlers', () => {
  it('fails ctx.sample locally with ERR_CAPABILITY when the client has no sampling, surfaced as isError', async () => {
    const server = newServer();
    const codes: string[] = [];
    const probe = (name: string, call: (ctx: Parameters<Parameters<McpServer['tool']>[2]>[1]) => Promise<unknown>) =>
      server.tool(name, {}, async (_a, ctx) => {
        try {
          await call(ctx);
        } catch (e) {
          codes.push(`${name}:${(e as ErlmcpError).code}`);
          throw e;
        }
        return { content: [{ type: 'text', text: 'unexpected success' }] };
      });
    probe('sample', (ctx) => ctx.sample({ messages: [], maxTokens: 1 }));
    probe('elicit', (ctx) => ctx.elicit({ message: 'm', requestedSchema: { type: 'object', properties: {} } }));
    probe('elicit-url', (ctx) => ctx.elicitUrl({ message: 'm', elicitationId: 'e', url: 'https://example.com' }));
    probe('roots', (ctx) => ctx.listRoots());
    const { client, spy } = await spiedPair(server);
    const r = await client.callTool({ name: 'sample' });
    assert.equal(r.isError, true);
    assert.match(text(r), /does not support sampling/);
    for (const name of ['elicit', 'elicit-url', 'roots']) assert.equal((await client.callTool({ name })).isError, true, name);
    assert.deepEqual(codes, ['sample:ERR_CAPABILITY', 'elicit:ERR_CAPABILITY', 'elicit-url:ERR_CAPABILITY', 'roots:ERR_CAPABILITY']);
    // Nothing was sent to the client that it could not answer.
    assert.equal(spy.received.some((m) => m.method !== undefined && m.id !== undefined), false);
  });

  it('refuses sampling with tools when the client did not declare sampling.tools', async () => {
    const server = newServer();
    server.tool('agent', {}, async (_a, ctx) => {
      await ctx.sample({ messages: [], maxTokens: 1, tools: [{ name: 't', inputSchema: { type: 'object' } }] });
      return { content: [] };
    });
    const { client } = await connectPair(server, { sampling: () => ({ role: 'assistant', content: { type: 'text', text: '' }, model: 'm' }) });
    const r = await client.callTool({ name: 'agent' });
    assert.equal(r.isError, true);
    assert.match(text(r), /tool use/);
  });

  it('refuses form elicitation when the client declared URL mode only', async () => {
    const server = newServer();
    server.tool('ask', {}, async (_a, ctx) => {
      await ctx.elicit({ message: 'm', requestedSchema: { type: 'object', properties: {} } });
      return { content: [] };
    });
    const { client } = await connectPair(server, { elicitationModes: ['url'], elicitation: () => ({ action: 'accept' }) });
    assert.equal((await client.callTool({ name: 'ask' })).isError, true);
  });
});

describe('client-side output validation', () => {
  const outputSchema = { type: 'object', properties: { temperature: { type: 'number' } }, required: ['temperature'] };
  async function lyingServer() {
    return fakeServer((m) => {
      if (m.method === 'initialize') return INIT_RESULT;
      if (m.method === 'tools/list') {
        return { tools: ['wrong', 'missing', 'right', 'error'].map((name) => ({ name, inputSchema: { type: 'object' }, outputSchema })) };
      }
      if (m.method === 'tools/call') {
        switch (m.params?.name) {
          case 'wrong':
            return { content: [], structuredContent: { temperature: 'hot' } };
          case 'missing':
            return { content: [{ type: 'text', text: 'no structure' }] };
          case 'right':
            return { content: [], structuredContent: { temperature: 21 } };
          default:
            return { content: [{ type: 'text', text: 'failed' }], isError: true };
        }
      }
      return { error: { code: -32601, message: 'nope' } };
    });
  }

  it('rejects structuredContent that does not match the listed outputSchema with ERR_INVALID_RESULT', async () => {
    const fake = await lyingServer();
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(fake.clientEnd);
    await client.listTools();
    await assert.rejects(client.callTool({ name: 'wrong' }), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_INVALID_RESULT' && /temperature/.test(e.message));
    await assert.rejects(client.callTool({ name: 'missing' }), isLocal('ERR_INVALID_RESULT'));
    assert.deepEqual((await client.callTool({ name: 'right' })).structuredContent, { temperature: 21 });
    assert.equal((await client.callTool({ name: 'error' })).isError, true);
  });

  it('passes results through unchecked with validateOutput: false', async () => {
    const fake = await lyingServer();
    const client = new Client({ name: 'c', version: '1' }, { validateOutput: false });
    await client.connect(fake.clientEnd);
    await client.listTools();
    assert.deepEqual((await client.callTool({ name: 'wrong' })).structuredContent, { temperature: 'hot' });
  });
});

describe('connection and handshake', () => {
  it('sends its capabilities and info in initialize, then notifications/initialized, and records the version on the transport', async () => {
    const fake = await fakeServer((m) => (m.method === 'initialize' ? { ...INIT_RESULT, protocolVersion: '2025-06-18', instructions: 'hi' } : {}));
    const spy = new SpyTransport(fake.clientEnd);
    const client = new Client(
      { name: 'full-client', version: '9.9.9' },
      {
        sampling: () => ({ role: 'assistant', content: { type: 'text', text: '' }, model: 'm' }),
        samplingTools: true,
        elicitation: () => ({ action: 'cancel' }),
        elicitationModes: ['form', 'url'],
        roots: [],
      },
    );
    await client.connect(spy);
    const init = fake.received[0];
    assert.equal(init?.method, 'initialize');
    assert.deepEqual(init?.params, {
      protocolVersion: '2025-11-25',
      capabilities: { sampling: { tools: {} }, elicitation: { form: {}, url: {} }, roots: { listChanged: true } },
      clientInfo: { name: 'full-client', version: '9.9.9' },
    });
    await until(() => fake.received.length >= 2, WAIT_MS, 'initialized');
    assert.equal(fake.received[1]?.method, 'notifications/initialized');
    assert.equal(client.protocolVersion, '2025-06-18');
    assert.equal(client.instructions, 'hi');
    assert.deepEqual(spy.versions, ['2025-06-18']);
  });

  it('refuses a server that picks a version it does not support, and closes', async () => {
    const fake = await fakeServer(() => ({ ...INIT_RESULT, protocolVersion: '1999-01-01' }));
    const client = new Client({ name: 'c', version: '1' });
    await assert.rejects(client.connect(fake.clientEnd), isLocal('ERR_PROTOCOL_VERSION'));
    assert.equal(client.connected, false);
    assert.equal(fake.received.some((m) => m.method === 'notifications/initialized'), false);
  });

  it('rejects connect when initialize fails, with the server error', async () => {
    const fake = await fakeServer(() => ({ error: { code: -32600, message: 'go away' } }));
    const client = new Client({ name: 'c', version: '1' });
    await assert.rejects(client.connect(fake.clientEnd), (e: unknown) => e instanceof McpError && e.code === -32600);
    assert.equal(client.connected, false);
  });

  it('answers server ping, and -32601 for requests it has no handler for', async () => {
    const fake = await fakeServer((m) => (m.method === 'initialize' ? INIT_RESULT : {}));
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(fake.clientEnd);
    for (const [id, method] of [
      ['s1', 'ping'],
      ['s2', 'sampling/createMessage'],
      ['s3', 'elicitation/create'],
      ['s4', 'roots/list'],
      ['s5', 'made/up'],
    ] as const) {
      await fake.serverEnd.send({ jsonrpc: '2.0', id, method, params: {} });
    }
    await until(() => fake.received.filter((m) => typeof m.id === 'string' && m.id.startsWith('s')).length === 5, WAIT_MS, 'replies');
    const byId = Object.fromEntries(fake.received.filter((m) => typeof m.id === 'string').map((m) => [m.id as string, m]));
    assert.deepEqual(byId.s1?.result, {});
    for (const id of ['s2', 's3', 's4', 's5']) assert.equal(byId[id]?.error?.code, -32601, id);
  });
});

/**
 * Mimics Streamable HTTP session expiry: the first tools/list send fails with
 * ERR_SESSION_EXPIRED and the "server" now only knows a fresh session awaiting initialize.
 */
class ExpiringTransport implements Transport {
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  readonly sent: string[] = [];
  readonly sessions: ServerSession[] = [];
  private inner: InMemoryTransport | undefined;
  private expired = false;

  constructor(private readonly server: McpServer) {}

  private async open(): Promise<void> {
    const [c, s] = InMemoryTransport.createLinkedPair({ structuredClone: true });
    this.sessions.push(await this.server.connect(s));
    c.onmessage = (m, e) => this.onmessage?.(m, e);
    c.onclose = () => {
      if (this.inner === c) this.onclose?.();
    };
    await c.start();
    this.inner = c;
  }

  start(): Promise<void> {
    return this.open();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const method = 'method' in message ? message.method : '(response)';
    this.sent.push(method);
    if (!this.expired && method === 'tools/list') {
      this.expired = true;
      const old = this.inner!;
      await this.open();
      await old.close();
      throw new ErlmcpError('ERR_SESSION_EXPIRED', 'Session not found');
    }
    await this.inner!.send(message);
  }

  close(): Promise<void> {
    return this.inner?.close() ?? Promise.resolve();
  }
}

describe('session expiry', () => {
  it('re-initializes once after ERR_SESSION_EXPIRED and retries the call', async () => {
    const server = newServer();
    server.tool('t', {}, () => ({ content: [] }));
    const transport = new ExpiringTransport(server);
    const client = new Client({ name: 'c', version: '1' });
    cleanups.push(() => client.close());
    await client.connect(transport);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['t']);
    assert.deepEqual(transport.sent, ['initialize', 'notifications/initialized', 'tools/list', 'initialize', 'notifications/initialized', 'tools/list']);
    assert.equal(transport.sessions.length, 2);
    await until(() => transport.sessions[1]!.initialized, WAIT_MS, 'new session initialized');
    assert.equal(server.sessionCount, 1);
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['t']);
  });

  it('does not retry other local errors', async () => {
    const server = newServer();
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    const spy = new SpyTransport(ct);
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(spy);
    spy.failSend = (m) => (m.method === 'tools/list' ? new ErlmcpError('ERR_MESSAGE_TOO_LARGE', 'too big') : undefined);
    await assert.rejects(client.listTools(), isLocal('ERR_MESSAGE_TOO_LARGE'));
    assert.equal(spy.sentMethods().filter((m) => m === 'initialize').length, 1);
    await client.close();
  });
});
