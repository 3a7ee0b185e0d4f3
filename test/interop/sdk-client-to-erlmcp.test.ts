/**
 * Cross-implementation: the official TypeScript SDK's Client (@modelcontextprotocol/sdk 1.32)
 * drives erlmcp's everything server — spawned over stdio, and in-process over Streamable HTTP
 * in both response modes (SSE streams and plain JSON bodies). Each test is a behaviour an SDK
 * user would notice if erlmcp got the wire format wrong.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  McpError as SdkMcpError,
  ResourceUpdatedNotificationSchema,
  type CreateMessageRequest,
  type ElicitRequest,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { JSON_SCHEMA_2020_12, createEverythingServer } from '../../examples/everything/server.js';
import type { McpServer } from '../../src/server/index.js';
import { StreamableHttpServer } from '../../src/transports/http/server.js';
import { sleep, until, WAIT_MS } from '../helpers/pair.js';
import { RecordingTransport } from './recording-transport.js';

const EVERYTHING_STDIO = fileURLToPath(new URL('../../examples/everything/stdio.js', import.meta.url));
const SAMPLED_ANSWER = 'The capital of France is Paris.';

/** What the SDK client's handlers saw. */
interface Seen {
  sampling: CreateMessageRequest['params'][];
  elicitation: ElicitRequest['params'][];
  logs: LoggingMessageNotification['params'][];
  updated: string[];
}

interface Harness {
  client: Client;
  wire: RecordingTransport;
  seen: Seen;
  /** Our server object, when it runs in this process. */
  server?: McpServer;
  /** JSON response mode: request-related notifications travel on the GET stream, racing the response. */
  json: boolean;
  label: 'stdio' | 'sse' | 'json';
  close(): Promise<void>;
}

function sdkClient(): { client: Client; seen: Seen } {
  const seen: Seen = { sampling: [], elicitation: [], logs: [], updated: [] };
  const client = new Client({ name: 'sdk-interop-client', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: { form: {} } } });
  client.setRequestHandler(CreateMessageRequestSchema, (req) => {
    seen.sampling.push(req.params);
    return { model: 'interop-model', role: 'assistant', content: { type: 'text', text: SAMPLED_ANSWER } };
  });
  client.setRequestHandler(ElicitRequestSchema, (req) => {
    seen.elicitation.push(req.params);
    return { action: 'accept', content: { response: 'typed in the SDK client' } };
  });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void seen.logs.push(n.params));
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void seen.updated.push(n.params.uri));
  // The SDK reports progress that arrives after it gave up on a request; that is expected here.
  client.onerror = () => {};
  return { client, seen };
}

async function overStdio(): Promise<Harness> {
  const { client, seen } = sdkClient();
  const stdio = new StdioClientTransport({ command: process.execPath, args: [EVERYTHING_STDIO], stderr: 'pipe' });
  (stdio.stderr as Readable | null)?.resume();
  const wire = new RecordingTransport(stdio);
  await client.connect(wire);
  return { client, wire, seen, json: false, label: 'stdio', close: () => client.close() };
}

async function overHttp(json: boolean): Promise<Harness> {
  const server = createEverythingServer();
  const http = new StreamableHttpServer({ server, enableJsonResponse: json });
  const { url } = await http.listen(0, '127.0.0.1');
  const { client, seen } = sdkClient();
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const wire = new RecordingTransport(transport);
  await client.connect(wire);
  return {
    client,
    wire,
    seen,
    server,
    json,
    label: json ? 'json' : 'sse',
    close: async () => {
      await transport.terminateSession();
      await client.close();
      await http.close();
      await server.close();
    },
  };
}

/** Resolves with the abort reason the first time `tool`'s handler sees its signal fire. */
function observeAbort(server: McpServer, tool: string): Promise<unknown> {
  const entry = server.tools.get(tool);
  assert.ok(entry, `tool ${tool} is registered`);
  const original = entry.handler;
  return new Promise((resolve) => {
    entry.handler = (args, ctx) => {
      ctx.signal.addEventListener('abort', () => resolve(ctx.signal.reason), { once: true });
      return original(args, ctx);
    };
  });
}

function textOf(result: object): string {
  const blocks = ((result as { content?: unknown }).content ?? []) as { type: string; text?: string }[];
  return blocks.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join('\n');
}

function suite(label: string, connect: () => Promise<Harness>): void {
  describe(`SDK client → erlmcp everything server over ${label}`, { timeout: 120_000 }, () => {
    let h: Harness;
    before(async () => {
      h = await connect();
    });
    after(async () => {
      await h?.close();
    });

    it('negotiates protocol version 2025-11-25 and sees the erlmcp server info and capabilities', () => {
      const init = h.wire.received.find((m) => m.id !== undefined && m.result?.protocolVersion !== undefined);
      assert.equal(init?.result?.protocolVersion, '2025-11-25');
      assert.equal(h.client.getServerVersion()?.name, 'erlmcp-everything');
      const caps = h.client.getServerCapabilities();
      assert.deepEqual(caps?.resources, { subscribe: true, listChanged: true });
      assert.ok(caps?.logging && caps.completions && caps.prompts && caps.tools);
      assert.match(h.client.getInstructions() ?? '', /every MCP 2025-11-25 feature/);
    });

    it('lists tools with zod-derived input/output schemas and the raw 2020-12 schema byte for byte', async () => {
      const { tools } = await h.client.listTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      const add = byName.get('add_numbers');
      assert.ok(add, 'add_numbers listed');
      assert.equal(add.inputSchema.type, 'object');
      assert.deepEqual(add.inputSchema.properties, { a: { type: 'number' }, b: { type: 'number' } });
      assert.deepEqual([...(add.inputSchema.required ?? [])].sort(), ['a', 'b']);
      assert.deepEqual(add.outputSchema?.properties, { sum: { type: 'number' } });
      assert.equal(add.annotations?.readOnlyHint, true);
      assert.equal(add.title, 'Add numbers');
      assert.deepEqual(byName.get('json_schema_2020_12_tool')?.inputSchema, JSON_SCHEMA_2020_12);
      assert.deepEqual(byName.get('long_running_operation')?.execution, { taskSupport: 'optional' });
      // A tool without an input schema still advertises an object schema (server/tools#tool).
      assert.equal(byName.get('test_simple_text')?.inputSchema.type, 'object');
    });

    it('add_numbers returns structuredContent {sum} that the SDK validates against the outputSchema', async () => {
      const r = await h.client.callTool({ name: 'add_numbers', arguments: { a: 2, b: 40 } });
      assert.equal(r.isError, undefined);
      assert.deepEqual(r.structuredContent, { sum: 42 });
      assert.equal(textOf(r), '42');
    });

    it('invalid arguments come back as an isError result naming the problem, not a protocol error', async () => {
      const r = await h.client.callTool({ name: 'add_numbers', arguments: { a: 'two', b: 40 } });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /Invalid arguments for tool add_numbers/);
    });

    it('calling an unknown tool rejects with McpError -32602', async () => {
      await assert.rejects(h.client.callTool({ name: 'no_such_tool', arguments: {} }), (e: unknown) => {
        assert.ok(e instanceof SdkMcpError, `got ${String(e)}`);
        assert.equal(e.code, -32602);
        assert.match(e.message, /no_such_tool/);
        return true;
      });
    });

    it("test_sampling puts the SDK client's model answer into the tool result", async () => {
      h.seen.sampling.length = 0;
      const r = await h.client.callTool({ name: 'test_sampling', arguments: { prompt: 'What is the capital of France?' } });
      assert.equal(textOf(r), `LLM response: ${SAMPLED_ANSWER}`);
      assert.equal(h.seen.sampling.length, 1);
      const req = h.seen.sampling[0]!;
      assert.equal(req.maxTokens, 100);
      assert.deepEqual(req.messages, [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }]);
    });

    it('test_elicitation round-trips the action and content the SDK client returned', async () => {
      h.seen.elicitation.length = 0;
      const r = await h.client.callTool({ name: 'test_elicitation', arguments: { message: 'What should I call you?' } });
      assert.equal(textOf(r), 'User response: action=accept, content={"response":"typed in the SDK client"}');
      assert.equal(h.seen.elicitation.length, 1);
      const req = h.seen.elicitation[0]! as { message: string; requestedSchema?: { properties: Record<string, unknown>; required?: string[] } };
      assert.equal(req.message, 'What should I call you?');
      assert.deepEqual(req.requestedSchema?.required, ['response']);
      assert.ok(req.requestedSchema?.properties.response);
    });

    it('resources: list, read text and blob, read through a template, and -32002 for an unknown URI', async () => {
      const { resources } = await h.client.listResources();
      const uris = resources.map((r) => r.uri);
      for (const u of ['test://static-text', 'test://static-binary', 'test://watched-resource']) assert.ok(uris.includes(u), `${u} listed`);
      const st = await h.client.readResource({ uri: 'test://static-text' });
      assert.deepEqual(st.contents, [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }]);
      const bin = await h.client.readResource({ uri: 'test://static-binary' });
      assert.equal(bin.contents[0]?.mimeType, 'image/png');
      assert.ok('blob' in bin.contents[0]! && typeof bin.contents[0].blob === 'string');

      const { resourceTemplates } = await h.client.listResourceTemplates();
      assert.deepEqual(
        resourceTemplates.map((t) => t.uriTemplate),
        ['test://template/{id}/data'],
      );
      const t = await h.client.readResource({ uri: 'test://template/42/data' });
      const item = t.contents[0] as { uri: string; text: string };
      assert.equal(item.uri, 'test://template/42/data');
      assert.deepEqual(JSON.parse(item.text), { id: '42', templateTest: true, data: 'Data for ID: 42' });

      await assert.rejects(h.client.readResource({ uri: 'test://nope' }), (e: unknown) => e instanceof SdkMcpError && e.code === -32002);
    });

    it('subscribing to a resource delivers notifications/resources/updated until unsubscribed', async () => {
      const uri = 'test://watched-resource';
      assert.deepEqual(await h.client.subscribeResource({ uri }), {});
      const server = h.server;
      if (server) {
        h.seen.updated.length = 0;
        await server.notifyResourceUpdated(uri);
        await until(() => h.seen.updated.length > 0, WAIT_MS, 'notifications/resources/updated');
        assert.deepEqual(h.seen.updated, [uri]);
      }
      assert.deepEqual(await h.client.unsubscribeResource({ uri }), {});
      if (server) {
        h.seen.updated.length = 0;
        await server.notifyResourceUpdated(uri);
        await h.client.ping(); // anything still queued for us would arrive before this answer
        await sleep(50);
        assert.deepEqual(h.seen.updated, []);
      }
    });

    it('prompts: list shows declared arguments, get fills them in, a missing one is -32602', async () => {
      const { prompts } = await h.client.listPrompts();
      const p = prompts.find((x) => x.name === 'test_prompt_with_arguments');
      assert.deepEqual(p?.arguments, [
        { name: 'arg1', description: 'First test argument', required: true },
        { name: 'arg2', description: 'Second test argument', required: true },
      ]);
      const r = await h.client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'paris', arg2: 'france' } });
      assert.deepEqual(r.messages, [{ role: 'user', content: { type: 'text', text: "Prompt with arguments: arg1='paris', arg2='france'" } }]);
      await assert.rejects(h.client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'x' } }), (e: unknown) => e instanceof SdkMcpError && e.code === -32602);
    });

    it("completes prompt argument arg1 from 'pa' and template variable id from '4'", async () => {
      const r = await h.client.complete({ ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'pa' } });
      assert.deepEqual(r.completion.values, ['paris', 'park', 'party']);
      assert.equal(r.completion.hasMore, false);
      const t = await h.client.complete({ ref: { type: 'ref/resource', uri: 'test://template/{id}/data' }, argument: { name: 'id', value: '4' } });
      assert.deepEqual(t.completion.values, ['456']);
    });

    it("logging: at level 'info' the tool's three log messages arrive; at 'error' none do", async () => {
      await h.client.setLoggingLevel('info');
      h.seen.logs.length = 0;
      const r = await h.client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      assert.equal(textOf(r), 'Tool with logging executed successfully');
      await until(() => h.seen.logs.length >= 3, WAIT_MS, 'three log notifications');
      assert.deepEqual(
        h.seen.logs.map((l) => [l.level, l.data]),
        [
          ['info', 'Tool execution started'],
          ['info', 'Tool processing data'],
          ['info', 'Tool execution completed'],
        ],
      );

      await h.client.setLoggingLevel('error');
      h.seen.logs.length = 0;
      await h.client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      await h.client.ping();
      await sleep(100);
      assert.deepEqual(h.seen.logs, []);
    });

    it('progress: test_tool_with_progress reports 0, 50, 100 of 100 to onprogress', async () => {
      const seen: { progress: number; total?: number; message?: string }[] = [];
      const r = await h.client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, { onprogress: (p) => void seen.push(p) });
      const call = h.wire.sent.findLast((m) => m.method === 'tools/call');
      const token = (call?.params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
      assert.notEqual(token, undefined, 'the SDK sent a progressToken');
      // The tool echoes the token it received: proof the _meta crossed intact.
      assert.equal(textOf(r), String(token));
      const onWire = () => h.wire.notifications('notifications/progress').filter((n) => n.params?.progressToken === token);
      // JSON mode: a call that reports progress is upgraded to SSE, so progress precedes the result.
      assert.deepEqual(
        onWire().map((n) => [n.params?.progress, n.params?.total, n.params?.message]),
        [0, 50, 100].map((p) => [p, 100, `Completed step ${p} of 100`]),
      );
      const expected = [
        [0, 100],
        [50, 100],
        [100, 100],
      ];
      const got = seen.map((p) => [p.progress, p.total]);
      if (h.label === 'sse' || h.json) {
        assert.deepEqual(got, expected);
      } else {
        // Every progress precedes the response on the wire (basic/utilities/progress)…
        const response = h.wire.received.findIndex((m) => m.id === call?.id && m.result !== undefined);
        assert.ok(h.wire.received.indexOf(onWire()[2]!) < response, 'progress 100 was sent after the response');
        // …but the SDK runs notification handlers a microtask late and responses at once, so when
        // the last progress and the response share one read (stdio), the SDK has already dropped
        // the progress handler. The earlier steps always get through (50 ms before the response).
        assert.deepEqual(got, expected.slice(0, Math.max(2, got.length)));
      }
    });

    it('cancellation: aborting long_running_operation rejects promptly and the server stops working on it', async () => {
      const observed = h.server ? observeAbort(h.server, 'long_running_operation') : undefined;
      const ac = new AbortController();
      const started = performance.now();
      const call = h.client.callTool({ name: 'long_running_operation', arguments: { seconds: 10, steps: 100 } }, undefined, {
        signal: ac.signal,
        onprogress: () => ac.abort(new Error('user pressed stop')),
      });
      await assert.rejects(call, /user pressed stop/);
      const elapsed = performance.now() - started;
      // Well before the 10 s the call would take (a loose bound: only "did not wait for it").
      assert.ok(elapsed < 8000, `rejected after ${Math.round(elapsed)} ms`);

      const sent = h.wire.sent.findLast((m) => m.method === 'tools/call');
      const id = sent?.id;
      assert.notEqual(id, undefined);
      assert.ok(
        h.wire.sent.some((m) => m.method === 'notifications/cancelled' && m.params?.requestId === id),
        'the SDK sent notifications/cancelled',
      );
      if (observed) {
        const reason = await Promise.race([observed, sleep(WAIT_MS).then(() => 'timeout')]);
        assert.notEqual(reason, 'timeout', "the tool handler's ctx.signal never fired");
        assert.match(String(reason), /user pressed stop/);
      }
      // A running operation would report a step every 100 ms and finally answer.
      const token = (sent?.params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
      const count = () => h.wire.notifications('notifications/progress').filter((n) => n.params?.progressToken === token).length;
      // Let what was sent before the abort land (a round trip, and time for other streams), then
      // watch for five more step intervals: a running operation would report in each.
      await h.client.ping();
      await sleep(250);
      const settled = count();
      await sleep(500);
      await h.client.ping();
      assert.equal(count(), settled, 'progress kept coming after the cancel');
      assert.ok(!h.wire.received.some((m) => m.id === id && (m.result !== undefined || 'error' in m)), 'a cancelled request got a response');
      // The session is still healthy.
      assert.deepEqual((await h.client.callTool({ name: 'add_numbers', arguments: { a: 1, b: 1 } })).structuredContent, { sum: 2 });
    });
  });
}

suite('stdio (spawned)', overStdio);
suite('Streamable HTTP, SSE responses', () => overHttp(false));
suite('Streamable HTTP, JSON responses', () => overHttp(true));
