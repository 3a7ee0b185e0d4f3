/**
 * Our client against the official SDK v2 server (npm @modelcontextprotocol/server 2.4,
 * `createMcpHandler`, which serves 2026-07-28 and a stateless 2025 fallback on one URL):
 * 'auto' negotiates modern, 'legacy' still initializes, and a pinned client calls tools, reads
 * resources and gets prompts. On the modern wire our client answers the SDK's
 * InputRequiredResult with its elicitation handler and receives list_changed on a listen.
 * (The SDK's legacy fallback is stateless, so it has no way to send a legacy elicitation.)
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { acceptedContent, createMcpHandler, inputRequired, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { Client } from '../../src/client/index.js';
import { eraVerdicts } from '../../src/client/era.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/client.js';

let http: Server;
let url: string;
let handler: ReturnType<typeof createMcpHandler>;

before(async () => {
  handler = createMcpHandler(() => {
    const s = new McpServer({ name: 'sdk-v2', version: '2.4.0' });
    s.registerTool('add', { inputSchema: z.object({ a: z.number(), b: z.number() }) }, ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
    s.registerTool('greet', { inputSchema: z.object({}) }, (_args, ctx) => {
      const answer = acceptedContent<{ name: string }>(ctx.mcpReq.inputResponses, 'user_name');
      if (!answer) return inputRequired({ inputRequests: { user_name: inputRequired.elicit({ message: 'Your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } }) } });
      return { content: [{ type: 'text', text: `Hello, ${answer.name}!` }] };
    });
    s.registerResource('hello', 'test://hello', { mimeType: 'text/plain' }, (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'hello resource' }] }));
    s.registerPrompt('brief', { argsSchema: z.object({ topic: z.string() }) }, ({ topic }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Be brief about ${topic}.` } }] }));
    return s;
  });
  // A minimal node:http → fetch-handler bridge.
  http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      const request = new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body });
      handler.fetch(request).then(
        async (response) => {
          res.writeHead(response.status, Object.fromEntries(response.headers));
          if (response.body) for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
          res.end();
        },
        (e: unknown) => {
          res.writeHead(500);
          res.end(String(e));
        },
      );
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
});
after(async () => {
  await handler.close?.();
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

describe('our client ↔ official SDK v2 server', () => {
  for (const mode of ['auto', { pin: '2026-07-28' }, 'legacy'] as const) {
    it(`versionNegotiation ${JSON.stringify(mode)}: lists and calls a tool`, async () => {
      eraVerdicts.clear();
      const client = new Client({ name: 'erlmcp', version: '1' }, { versionNegotiation: mode });
      await client.connect(new StreamableHttpClientTransport(url));
      assert.equal(client.era, mode === 'legacy' ? 'legacy' : 'modern');
      assert.equal(client.serverInfo?.name, 'sdk-v2');
      const tools = await client.listTools();
      assert.deepEqual(tools.tools.map((t) => t.name), ['add', 'greet']);
      const r = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
      assert.deepEqual(r.content, [{ type: 'text', text: '5' }]);
      await client.close();
    });

    it(`versionNegotiation ${JSON.stringify(mode)}: lists and reads a resource, lists and gets a prompt`, async () => {
      eraVerdicts.clear();
      const client = new Client({ name: 'erlmcp', version: '1' }, { versionNegotiation: mode });
      await client.connect(new StreamableHttpClientTransport(url));
      const resources = await client.listResources();
      assert.deepEqual(resources.resources.map((r) => r.uri), ['test://hello']);
      const read = await client.readResource('test://hello');
      assert.deepEqual(read.contents, [{ uri: 'test://hello', mimeType: 'text/plain', text: 'hello resource' }]);
      const prompts = await client.listPrompts();
      assert.deepEqual(prompts.prompts.map((p) => p.name), ['brief']);
      const prompt = await client.getPrompt('brief', { topic: 'MCP' });
      assert.deepEqual(prompt.messages, [{ role: 'user', content: { type: 'text', text: 'Be brief about MCP.' } }]);
      await client.close();
    });
  }

  for (const mode of ['auto', { pin: '2026-07-28' }] as const) {
    it(`versionNegotiation ${JSON.stringify(mode)}: our elicitation handler answers the SDK's input_required round`, async () => {
      eraVerdicts.clear();
      const asked: string[] = [];
      const client = new Client({ name: 'erlmcp', version: '1' }, {
        versionNegotiation: mode,
        elicitation: (p) => {
          asked.push(String(p.message));
          return { action: 'accept', content: { name: 'Ada' } };
        },
      });
      await client.connect(new StreamableHttpClientTransport(url));
      const r = await client.callTool({ name: 'greet', arguments: {} });
      assert.deepEqual(r.content, [{ type: 'text', text: 'Hello, Ada!' }]);
      assert.deepEqual(asked, ['Your name?']);
      await client.close();
    });

    it(`versionNegotiation ${JSON.stringify(mode)}: subscriptions/listen receives the SDK's tools list_changed`, async () => {
      eraVerdicts.clear();
      const client = new Client({ name: 'erlmcp', version: '1' }, { versionNegotiation: mode });
      await client.connect(new StreamableHttpClientTransport(url));
      const sub = await client.listen({ toolsListChanged: true });
      assert.equal(sub.honored.toolsListChanged, true);
      const got = new Promise<string>((resolve) => (sub.onnotification = (n) => resolve(n.method)));
      handler.notify.toolsChanged();
      assert.equal(await got, 'notifications/tools/list_changed');
      assert.equal(await sub.close(), 'local');
      await client.close();
    });
  }
});
