/**
 * Cross-implementation: erlmcp's Client drives a server built with the official TypeScript SDK
 * (@modelcontextprotocol/sdk 1.32) — spawned over stdio, and in-process over Streamable HTTP
 * with the SDK's StreamableHTTPServerTransport on node:http. Each test is a behaviour an
 * erlmcp user would notice if the two implementations disagreed on the wire.
 */
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '../../src/client/index.js';
import { ErlmcpError, McpError } from '../../src/protocol/errors.js';
import type { Transport } from '../../src/protocol/transport.js';
import type { CreateMessageRequestParams, ElicitRequestParams, ElicitResult, LoggingMessageNotificationParams } from '../../src/protocol/types.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/index.js';
import { StdioClientTransport } from '../../src/transports/stdio/index.js';
import { sleep, until, WAIT_MS } from '../helpers/pair.js';
import { SpyTransport } from '../helpers/spy.js';
import { startSdkHttpServer } from './sdk-http.js';
import { SDK_SERVER_NAME, createSdkServer } from './sdk-server.js';

const FIXTURE = fileURLToPath(new URL('./sdk-server-fixture.js', import.meta.url));

interface Seen {
  sampling: CreateMessageRequestParams[];
  elicitation: ElicitRequestParams[];
  logs: LoggingMessageNotificationParams[];
  updated: string[];
  /** What the next elicitation returns. */
  elicitAnswer: ElicitResult;
}

interface Harness {
  client: Client;
  spy: SpyTransport;
  seen: Seen;
  close(): Promise<void>;
}

async function connectClient(transport: Transport): Promise<{ client: Client; spy: SpyTransport; seen: Seen }> {
  const seen: Seen = { sampling: [], elicitation: [], logs: [], updated: [], elicitAnswer: { action: 'cancel' } };
  const client = new Client(
    { name: 'erlmcp-interop-client', version: '0.1.0' },
    {
      sampling: (params) => {
        seen.sampling.push(params);
        return { model: 'interop-model', role: 'assistant', content: { type: 'text', text: 'Lisbon is lovely in spring.' }, stopReason: 'endTurn' };
      },
      elicitation: (params) => {
        seen.elicitation.push(params);
        return seen.elicitAnswer;
      },
    },
  );
  client.onLogMessage = (p) => void seen.logs.push(p);
  client.onResourceUpdated = (uri) => void seen.updated.push(uri);
  const spy = new SpyTransport(transport);
  await client.connect(spy);
  return { client, spy, seen };
}

async function overStdio(): Promise<Harness> {
  const stdio = new StdioClientTransport({ command: process.execPath, args: [FIXTURE, '--serve'], stderr: 'pipe' });
  (stdio.stderr as Readable | null)?.resume();
  const h = await connectClient(stdio);
  return { ...h, close: () => h.client.close() };
}

async function overHttp(): Promise<Harness> {
  const host = await startSdkHttpServer(createSdkServer);
  const h = await connectClient(new StreamableHttpClientTransport(host.url));
  return {
    ...h,
    close: async () => {
      await h.client.close();
      await host.close();
    },
  };
}

function textOf(result: { content?: unknown }): string {
  const blocks = (result.content ?? []) as { type: string; text?: string }[];
  return blocks.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join('\n');
}

function suite(label: string, connect: () => Promise<Harness>): void {
  describe(`erlmcp client → official SDK server over ${label}`, { timeout: 120_000 }, () => {
    let h: Harness;
    before(async () => {
      h = await connect();
    });
    after(async () => {
      await h?.close();
    });

    it('initialize negotiates 2025-11-25 and reads the SDK server info, capabilities and instructions', () => {
      assert.equal(h.client.protocolVersion, '2025-11-25');
      assert.equal(h.client.serverInfo?.name, SDK_SERVER_NAME);
      const caps = h.client.serverCapabilities;
      assert.equal(caps?.resources?.subscribe, true);
      assert.ok(caps?.tools && caps.prompts && caps.logging && caps.completions);
      assert.match(h.client.instructions ?? '', /Official-SDK fixture/);
    });

    it('lists the SDK zod tools and add_numbers returns structuredContent that passes our outputSchema check', async () => {
      const { tools } = await h.client.listTools();
      const add = tools.find((t) => t.name === 'add_numbers');
      assert.ok(add, 'add_numbers listed');
      assert.equal(add.inputSchema.type, 'object');
      assert.deepEqual(Object.keys(add.inputSchema.properties ?? {}).sort(), ['a', 'b']);
      assert.equal((add.outputSchema?.properties?.sum as { type?: string } | undefined)?.type, 'number');
      assert.equal(add.annotations?.readOnlyHint, true);
      const r = await h.client.callTool({ name: 'add_numbers', arguments: { a: 19, b: 23 } });
      assert.deepEqual(r.structuredContent, { sum: 42 });
      assert.equal(textOf(r), '42');
    });

    it('rejects structuredContent that contradicts the advertised outputSchema with ERR_INVALID_RESULT', async () => {
      await h.client.listTools();
      await assert.rejects(h.client.callTool({ name: 'lying_sum', arguments: {} }), (e: unknown) => {
        assert.ok(e instanceof ErlmcpError, `got ${String(e)}`);
        assert.equal(e.code, 'ERR_INVALID_RESULT');
        assert.match(e.message, /lying_sum/);
        return true;
      });
    });

    it('invalid arguments and an unknown tool come back as isError results from the SDK server', async () => {
      const bad = await h.client.callTool({ name: 'add_numbers', arguments: { a: 'nineteen', b: 23 } });
      assert.equal(bad.isError, true);
      assert.match(textOf(bad), /Input validation error/);
      // SDK 1.32 turns its own -32602 into a tool error the model can read; our client passes it on.
      const unknown = await h.client.callTool({ name: 'no_such_tool', arguments: {} });
      assert.equal(unknown.isError, true);
      assert.match(textOf(unknown), /-32602: Tool no_such_tool not found/);
    });

    it("a tool calling server.createMessage() gets our client's sampling answer", async () => {
      h.seen.sampling.length = 0;
      const r = await h.client.callTool({ name: 'ask_llm', arguments: { question: 'Where should I travel?' } });
      assert.equal(textOf(r), 'interop-model says: Lisbon is lovely in spring.');
      assert.equal(h.seen.sampling.length, 1);
      const p = h.seen.sampling[0]!;
      assert.equal(p.systemPrompt, 'Answer in one sentence.');
      assert.equal(p.maxTokens, 64);
      assert.deepEqual(p.messages, [{ role: 'user', content: { type: 'text', text: 'Where should I travel?' } }]);
    });

    it('a tool calling server.elicitInput() gets our answer, with schema defaults filled in (SEP-1034)', async () => {
      h.seen.elicitation.length = 0;
      h.seen.elicitAnswer = { action: 'accept', content: { name: 'Ada' } };
      const r = await h.client.callTool({ name: 'ask_user', arguments: { question: 'Who are you?' } });
      assert.deepEqual(JSON.parse(textOf(r)), { action: 'accept', content: { name: 'Ada', age: 42 } });
      const p = h.seen.elicitation[0] as { message: string; requestedSchema?: { required?: string[] } };
      assert.equal(p.message, 'Who are you?');
      assert.deepEqual(p.requestedSchema?.required, ['name']);

      h.seen.elicitAnswer = { action: 'decline' };
      const declined = await h.client.callTool({ name: 'ask_user', arguments: { question: 'Again?' } });
      assert.deepEqual(JSON.parse(textOf(declined)), { action: 'decline' });
    });

    it('resources: list, read, read through a template, and McpError for an unknown URI', async () => {
      const { resources } = await h.client.listResources();
      assert.deepEqual(
        resources.map((r) => [r.uri, r.name, r.mimeType]),
        [['test://greeting', 'greeting', 'text/plain']],
      );
      const g = await h.client.readResource('test://greeting');
      assert.deepEqual(g.contents, [{ uri: 'test://greeting', mimeType: 'text/plain', text: 'Hello from the official SDK' }]);
      const { resourceTemplates } = await h.client.listResourceTemplates();
      assert.deepEqual(
        resourceTemplates.map((t) => [t.name, t.uriTemplate]),
        [['item', 'test://items/{id}']],
      );
      const item = await h.client.readResource('test://items/alpine');
      assert.deepEqual(JSON.parse((item.contents[0] as { text: string }).text), { id: 'alpine' });
      // SDK 1.32 answers -32602 here (the spec suggests -32002); our client surfaces it as an McpError.
      await assert.rejects(h.client.readResource('test://missing'), (e: unknown) => e instanceof McpError && e.code === -32602 && /test:\/\/missing not found/.test(e.message));
    });

    it('subscribing delivers notifications/resources/updated to onResourceUpdated; unsubscribing stops it', async () => {
      h.seen.updated.length = 0;
      await h.client.subscribeResource('test://greeting');
      assert.equal(textOf(await h.client.callTool({ name: 'touch_resource', arguments: { uri: 'test://greeting' } })), 'notified');
      await until(() => h.seen.updated.length > 0, WAIT_MS, 'notifications/resources/updated');
      assert.deepEqual(h.seen.updated, ['test://greeting']);
      await h.client.unsubscribeResource('test://greeting');
      assert.equal(textOf(await h.client.callTool({ name: 'touch_resource', arguments: { uri: 'test://greeting' } })), 'not subscribed');
    });

    it('prompts: the zod argsSchema is listed as arguments and get fills them in', async () => {
      const { prompts } = await h.client.listPrompts();
      const trip = prompts.find((p) => p.name === 'trip');
      assert.equal(trip?.title, 'Plan a trip');
      assert.deepEqual(
        trip?.arguments?.map((a) => [a.name, a.required ?? false]),
        [
          ['city', true],
          ['days', false],
        ],
      );
      const r = await h.client.getPrompt('trip', { city: 'paris', days: '4' });
      assert.deepEqual(r.messages, [{ role: 'user', content: { type: 'text', text: 'Plan 4 days in paris.' } }]);
    });

    it("completes a prompt argument from 'pa' and a template variable from 'al'", async () => {
      const p = await h.client.complete({ ref: { type: 'ref/prompt', name: 'trip' }, argument: { name: 'city', value: 'pa' } });
      assert.deepEqual(p.completion.values, ['paris', 'park', 'party']);
      const t = await h.client.complete({ ref: { type: 'ref/resource', uri: 'test://items/{id}' }, argument: { name: 'id', value: 'al' } });
      assert.deepEqual(t.completion.values, ['alpha', 'alpine']);
    });

    it('logging/setLevel is honoured by the SDK server: warning lets two of four through, debug all four', async () => {
      await h.client.setLoggingLevel('warning');
      h.seen.logs.length = 0;
      await h.client.callTool({ name: 'log_levels', arguments: {} });
      await until(() => h.seen.logs.length >= 2, WAIT_MS, 'two log messages');
      await h.client.ping();
      await sleep(50);
      assert.deepEqual(
        h.seen.logs.map((l) => [l.level, l.logger, l.data]),
        [
          ['warning', 'sdk-fixture', 'warning message'],
          ['error', 'sdk-fixture', 'error message'],
        ],
      );
      await h.client.setLoggingLevel('debug');
      h.seen.logs.length = 0;
      await h.client.callTool({ name: 'log_levels', arguments: {} });
      await until(() => h.seen.logs.length >= 4, WAIT_MS, 'four log messages');
      assert.deepEqual(
        h.seen.logs.map((l) => l.level),
        ['debug', 'info', 'warning', 'error'],
      );
    });

    it('progress from the SDK tool reaches onprogress as 1, 2, 3 of 3', async () => {
      const got: { progress: number; total?: number; message?: string }[] = [];
      const r = await h.client.callTool({ name: 'count_to_three', arguments: {} }, { onprogress: (p) => void got.push(p) });
      const token = (h.spy.sent.findLast((s) => s.message.method === 'tools/call')?.message.params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
      assert.notEqual(token, undefined, 'our client sent a progressToken');
      assert.equal(textOf(r), `token=${String(token)}`);
      assert.deepEqual(
        got.map((p) => [p.progress, p.total, p.message]),
        [
          [1, 3, 'step 1'],
          [2, 3, 'step 2'],
          [3, 3, 'step 3'],
        ],
      );
    });

    it('aborting a call rejects it promptly with ERR_CANCELLED and the SDK handler sees its signal fire', async () => {
      const ac = new AbortController();
      const started = performance.now();
      const call = h.client.callTool({ name: 'slow', arguments: { seconds: 10 } }, { signal: ac.signal, onprogress: () => ac.abort(new Error('user pressed stop')) });
      await assert.rejects(call, (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CANCELLED');
      const elapsed = performance.now() - started;
      // Well before the 10 s the call would take (a loose bound: only "did not wait for it").
      assert.ok(elapsed < 8000, `rejected after ${Math.round(elapsed)} ms`);
      const id = h.spy.sent.findLast((s) => s.message.method === 'tools/call')?.message.id;
      assert.ok(
        h.spy.sent.some((s) => s.message.method === 'notifications/cancelled' && s.message.params?.requestId === id),
        'we sent notifications/cancelled for the call',
      );
      type Observed = { aborted: boolean; reason: string; steps: number } | null;
      const lastCancellation = async (): Promise<Observed> => JSON.parse(textOf(await h.client.callTool({ name: 'last_cancellation', arguments: {} }))) as Observed;
      let seenByServer = await lastCancellation();
      const deadline = Date.now() + WAIT_MS;
      while (seenByServer === null && Date.now() < deadline) {
        await sleep(25);
        seenByServer = await lastCancellation();
      }
      assert.ok(seenByServer, 'the SDK tool never stopped');
      assert.equal(seenByServer.aborted, true);
      assert.match(seenByServer.reason, /user pressed stop/);
      assert.ok(seenByServer.steps < 20, `the tool ran ${seenByServer.steps} steps`);
    });
  });
}

suite('stdio (spawned fixture)', overStdio);
suite('Streamable HTTP (SDK transport on node:http)', overHttp);
