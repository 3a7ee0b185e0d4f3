/**
 * The gateway between implementations nobody here wrote: the official SDK client (1.x) over
 * Streamable HTTP in front, and as upstreams the official server-everything (stdio and
 * Streamable HTTP), server-filesystem and server-memory (stdio). Each test is something a user
 * of the gateway would notice: names, calls, resources, prompts, completions, requests routed
 * back to the calling client, progress, cancellation, notifications.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  ResourceUpdatedNotificationSchema,
  type CreateMessageRequest,
  type ElicitRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { Gateway, serveGatewayHttp, type ServingHttp } from '../../src/gateway/index.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { everythingHttp, everythingStdio, filesystemStdio, memoryStdio } from './upstreams.js';

const SAMPLED = 'Sampled by the SDK client behind the gateway.';

interface Seen {
  sampling: CreateMessageRequest['params'][];
  elicitation: ElicitRequest['params'][];
  roots: number;
  updated: string[];
}

/** Finished upstream requests, as the gateway's metrics hook reported them. */
const finished: { upstream: string; method: string; outcome: string }[] = [];
const finishWaiters = new Set<() => void>();

function nextFinished(pred: (e: (typeof finished)[number]) => boolean): Promise<(typeof finished)[number]> {
  return new Promise((resolve) => {
    const check = () => {
      const hit = finished.find(pred);
      if (hit) {
        finishWaiters.delete(check);
        resolve(hit);
      }
    };
    finishWaiters.add(check);
    check();
  });
}

describe('gateway: official SDK client → gateway → official servers', () => {
  let everythingOverHttp: ServerProcess;
  let gateway: Gateway;
  let serving: ServingHttp;
  let client: Client;
  let fsDir: string;
  const seen: Seen = { sampling: [], elicitation: [], roots: 0, updated: [] };

  before(async () => {
    everythingOverHttp = await everythingHttp();
    const fs = filesystemStdio();
    fsDir = fs.dir;
    const config = parseGatewayConfig({
      upstreams: {
        ev: everythingStdio(),
        evh: { type: 'http', url: everythingOverHttp.url },
        mem: memoryStdio(),
        files: { ...fs.config, prefix: 'fs', separator: '.' },
      },
    });
    gateway = new Gateway(config, {
      metrics: {
        request: (e) => {
          finished.push(e);
          for (const w of [...finishWaiters]) w();
        },
      },
    });
    await gateway.start();
    assert.equal(gateway.health().status, 'ok', JSON.stringify(gateway.health()));
    serving = await serveGatewayHttp(gateway);
    client = new Client({ name: 'sdk-behind-gateway', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } } });
    client.setRequestHandler(CreateMessageRequestSchema, (req) => {
      seen.sampling.push(req.params);
      return { model: 'sdk-model', role: 'assistant', content: { type: 'text', text: SAMPLED } };
    });
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      seen.elicitation.push(req.params);
      return { action: 'accept', content: { name: 'Ada Lovelace', check: true } };
    });
    client.setRequestHandler(ListRootsRequestSchema, () => {
      seen.roots++;
      return { roots: [{ uri: 'file:///projects/gateway-test', name: 'gateway-test-root' }] };
    });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void seen.updated.push(n.params.uri));
    client.onerror = () => {};
    await client.connect(new StreamableHTTPClientTransport(new URL(serving.url)));
  });

  after(async () => {
    await client?.close();
    await serving?.close();
    await gateway?.close();
    await everythingOverHttp?.stop();
    if (fsDir) rmSync(fsDir, { recursive: true, force: true });
  });

  it('lists every upstream tool under its namespace, page by page', async () => {
    const names: string[] = [];
    let pages = 0;
    let cursor: string | undefined;
    do {
      const r = await client.listTools(cursor === undefined ? {} : { cursor });
      names.push(...r.tools.map((t) => t.name));
      cursor = r.nextCursor;
      pages++;
    } while (cursor !== undefined);
    for (const n of ['ev__echo', 'evh__echo', 'mem__create_entities', 'mem__read_graph', 'fs.read_text_file', 'fs.list_directory']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
    assert.equal(new Set(names).size, names.length, 'no name twice');
    // One page per upstream at least: the cursor carried the gateway from one to the next.
    assert.ok(pages >= 4, `pages: ${pages}`);
    assert.ok(!names.some((n) => n === 'echo'), 'no bare upstream names');
  });

  it('rejects a cursor it did not mint with -32602', async () => {
    await assert.rejects(client.listTools({ cursor: 'not-a-gateway-cursor' }), (e: Error & { code?: number }) => e.code === -32602);
  });

  it('calls tools on each upstream by their namespaced names', async () => {
    const echo = await client.callTool({ name: 'ev__echo', arguments: { message: 'through the gateway' } });
    assert.deepEqual(echo.content, [{ type: 'text', text: 'Echo: through the gateway' }]);
    const remote = await client.callTool({ name: 'evh__get-sum', arguments: { a: 2, b: 40 } });
    assert.match(JSON.stringify(remote.content), /42/);
    const file = await client.callTool({ name: 'fs.read_text_file', arguments: { path: join(fsDir, 'hello.txt') } });
    assert.match(JSON.stringify(file.content), /hello from the filesystem upstream/);
    await client.callTool({ name: 'mem__create_entities', arguments: { entities: [{ name: 'Gateway', entityType: 'component', observations: ['aggregates upstreams'] }] } });
    const graph = await client.callTool({ name: 'mem__read_graph', arguments: {} });
    assert.match(JSON.stringify(graph), /aggregates upstreams/);
  });

  it('answers an unknown tool name with a clear error', async () => {
    await assert.rejects(client.callTool({ name: 'nobody__echo', arguments: {} }), /Unknown tool: nobody__echo/);
  });

  it('lists resources under mcp-gw:// URIs and reads them back', async () => {
    const all: { uri: string }[] = [];
    let cursor: string | undefined;
    do {
      const r = await client.listResources(cursor === undefined ? {} : { cursor });
      all.push(...r.resources);
      cursor = r.nextCursor;
    } while (cursor !== undefined);
    const fromEv = all.filter((r) => r.uri.startsWith('mcp-gw://ev/'));
    const fromEvh = all.filter((r) => r.uri.startsWith('mcp-gw://evh/'));
    assert.ok(fromEv.length > 0 && fromEv.length === fromEvh.length, `${fromEv.length} vs ${fromEvh.length}`);
    const read = await client.readResource({ uri: fromEvh[0]!.uri });
    assert.equal(read.contents[0]!.uri, fromEvh[0]!.uri);
    assert.ok('text' in read.contents[0]! || 'blob' in read.contents[0]!);
  });

  it('reads through a resource template of an upstream', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    const text = resourceTemplates.find((t) => t.uriTemplate === 'mcp-gw://ev/demo://resource/dynamic/text/{resourceId}');
    assert.ok(text, JSON.stringify(resourceTemplates.map((t) => t.uriTemplate)));
    const read = await client.readResource({ uri: 'mcp-gw://ev/demo://resource/dynamic/text/7' });
    assert.equal(read.contents[0]!.uri, 'mcp-gw://ev/demo://resource/dynamic/text/7');
    assert.match(String((read.contents[0] as { text?: string }).text), /7/);
  });

  it('answers a read of an unknown gateway URI with -32002', async () => {
    await assert.rejects(client.readResource({ uri: 'mcp-gw://nobody/x' }), (e: Error & { code?: number }) => e.code === -32002);
  });

  it('gets namespaced prompts and completes their arguments', async () => {
    const { prompts } = await client.listPrompts();
    assert.ok(prompts.some((p) => p.name === 'ev__args-prompt'));
    const got = await client.getPrompt({ name: 'ev__args-prompt', arguments: { city: 'Lisbon' } });
    assert.match(JSON.stringify(got.messages), /Lisbon/);
    const done = await client.complete({ ref: { type: 'ref/prompt', name: 'ev__completable-prompt' }, argument: { name: 'department', value: 'Eng' } });
    assert.deepEqual(done.completion.values, ['Engineering']);
  });

  it('routes an upstream sampling request back to the calling client', async () => {
    const r = await client.callTool({ name: 'ev__trigger-sampling-request', arguments: { prompt: 'What is the capital of France?', maxTokens: 20 } });
    assert.match(JSON.stringify(r.content), new RegExp(SAMPLED));
    assert.match(JSON.stringify(seen.sampling.at(-1)?.messages), /capital of France/);
  });

  it('routes sampling back from the Streamable HTTP upstream too', async () => {
    const r = await client.callTool({ name: 'evh__trigger-sampling-request', arguments: { prompt: 'over http', maxTokens: 5 } });
    assert.match(JSON.stringify(r.content), new RegExp(SAMPLED));
  });

  it('routes an upstream elicitation back to the calling client', async () => {
    const before = seen.elicitation.length;
    const r = await client.callTool({ name: 'ev__trigger-elicitation-request', arguments: {} });
    assert.equal(seen.elicitation.length, before + 1);
    assert.match(JSON.stringify(r.content), /Ada Lovelace/);
  });

  it('answers an upstream roots/list with the calling client roots', async () => {
    const r = await client.callTool({ name: 'ev__get-roots-list', arguments: {} });
    assert.match(JSON.stringify(r.content), /gateway-test-root/);
    assert.ok(seen.roots > 0);
  });

  it('passes progress through to the caller', async () => {
    const progress: number[] = [];
    const r = await client.callTool({ name: 'ev__trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, { onprogress: (p) => void progress.push(p.progress) });
    assert.match(JSON.stringify(r.content), /completed/);
    assert.deepEqual(progress, [1, 2, 3]);
  });

  it('aborts the upstream call when the client cancels', async () => {
    const controller = new AbortController();
    const call = client.callTool({ name: 'ev__trigger-long-running-operation', arguments: { duration: 60, steps: 60 } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort('user gave up'),
    });
    await assert.rejects(call);
    // The gateway gave up its upstream request (and told the upstream: notifications/cancelled).
    const e = await nextFinished((f) => f.upstream === 'ev' && f.method === 'tools/call' && f.outcome === 'ERR_CANCELLED');
    assert.equal(e.outcome, 'ERR_CANCELLED');
    assert.equal(gateway.upstream('ev')!.health().inFlight, 0);
  });

  it('forwards resources/updated for subscribed resources, under the gateway URI', async () => {
    const uri = 'mcp-gw://ev/demo://resource/dynamic/text/1';
    await client.subscribeResource({ uri });
    const got = new Promise<void>((resolve) => {
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
        seen.updated.push(n.params.uri);
        if (n.params.uri === uri) resolve();
      });
    });
    await client.callTool({ name: 'ev__toggle-subscriber-updates', arguments: {} });
    await got;
    await client.callTool({ name: 'ev__toggle-subscriber-updates', arguments: {} });
    await client.unsubscribeResource({ uri });
  });

  it('reports every upstream on /health', async () => {
    const res = await fetch(new URL('/health', serving.url));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; upstreams: { name: string; state: string }[] };
    assert.equal(body.status, 'ok');
    assert.deepEqual(body.upstreams.map((u) => [u.name, u.state]), [
      ['ev', 'ready'],
      ['evh', 'ready'],
      ['mem', 'ready'],
      ['files', 'ready'],
    ]);
  });
});
