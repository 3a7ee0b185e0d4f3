/**
 * The official SDK v2 client (npm @modelcontextprotocol/client 2.4) against our server over
 * Streamable HTTP, one URL serving both eras: pinned to 2026-07-28, plain 2025-11-25
 * ('legacy') and 'auto' (a server/discover probe). Each mode lists and calls tools, reads
 * resources and gets prompts; on the modern wire an elicitation is answered through an
 * InputRequiredResult round by the SDK client's own handler, and subscriptions/listen delivers
 * a tools list_changed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer, type Registered } from '../../src/server/index.js';
import { StreamableHttpServer } from '../../src/transports/http/server.js';

let http: StreamableHttpServer;
let server: McpServer;
let url: URL;
let extra: Registered | undefined;

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

before(async () => {
  server = new McpServer({ name: 'erlmcp-interop', version: '1.0.0' });
  server.tool('add', { inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] } }, (a) => text(String(Number(a.a) + Number(a.b))));
  server.tool('greet', {}, async (_a, ctx) => {
    const r = await ctx.elicit({ message: 'Your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } }, { inputKey: 'user_name' });
    return text(r.action === 'accept' ? `Hello, ${String(r.content?.name)}!` : `(${r.action})`);
  });
  server.tool('toggle', {}, () => {
    if (extra) {
      extra.remove();
      extra = undefined;
    } else extra = server.tool('dynamic', {}, () => text('dynamic'));
    return text('toggled');
  });
  server.tool('where', { inputSchema: { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' } }, required: ['region'] } }, (a) => text(`in ${String(a.region)}`));
  server.resource('test://hello', { name: 'hello', mimeType: 'text/plain' }, (uri) => ({ contents: [{ uri, mimeType: 'text/plain', text: 'hello resource' }] }));
  server.prompt('brief', { description: 'A prompt with an argument', arguments: [{ name: 'topic', required: true }] }, ({ topic }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Be brief about ${topic}.` } }],
  }));
  http = new StreamableHttpServer({ server });
  url = new URL((await http.listen(0)).url);
});
after(async () => {
  await http.close();
  await server.close();
});

type Mode = 'legacy' | 'auto' | { pin: string };

async function connect(mode: Mode): Promise<Client> {
  const client = new Client({ name: 'sdk-v2-client', version: '2.4.0' }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode } });
  client.setRequestHandler('elicitation/create', async (request) => {
    assert.equal(request.params.message, 'Your name?');
    return { action: 'accept', content: { name: 'Ada' } };
  });
  await client.connect(new StreamableHTTPClientTransport(url));
  return client;
}

const MODES: [string, Mode, 'legacy' | 'modern'][] = [
  ['pinned 2026-07-28', { pin: '2026-07-28' }, 'modern'],
  ['legacy 2025-11-25', 'legacy', 'legacy'],
  ['auto (negotiated)', 'auto', 'modern'],
];

describe('official SDK v2 client → our server (Streamable HTTP)', () => {
  for (const [label, mode, era] of MODES) {
    describe(label, () => {
      it(`negotiates the ${era} era and sees our identity`, async () => {
        const client = await connect(mode);
        try {
          assert.equal(client.getProtocolEra(), era);
          assert.equal(client.getServerVersion()?.name, 'erlmcp-interop');
          assert.equal(client.getNegotiatedProtocolVersion(), era === 'legacy' ? '2025-11-25' : '2026-07-28');
        } finally {
          await client.close();
        }
      });

      it('lists and calls a tool', async () => {
        const client = await connect(mode);
        try {
          const tools = await client.listTools();
          assert.deepEqual(tools.tools.map((t) => t.name).sort(), ['add', 'greet', 'toggle', 'where']);
          const r = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
          assert.deepEqual(r.content, [{ type: 'text', text: '5' }]);
        } finally {
          await client.close();
        }
      });

      it('a tool with an x-mcp-header parameter: the SDK mirrors it, our server checks it', async () => {
        const client = await connect(mode);
        try {
          await client.listTools();
          // Non-ASCII: the modern SDK client sends it as a Base64 sentinel, which our server decodes.
          for (const region of ['us-west1', 'Zürich']) {
            const r = await client.callTool({ name: 'where', arguments: { region } });
            assert.deepEqual(r.content, [{ type: 'text', text: `in ${region}` }]);
          }
        } finally {
          await client.close();
        }
      });

      it('lists and reads a resource, lists and gets a prompt', async () => {
        const client = await connect(mode);
        try {
          const resources = await client.listResources();
          assert.deepEqual(resources.resources.map((r) => r.uri), ['test://hello']);
          const read = await client.readResource({ uri: 'test://hello' });
          assert.deepEqual(read.contents, [{ uri: 'test://hello', mimeType: 'text/plain', text: 'hello resource' }]);
          const prompts = await client.listPrompts();
          assert.deepEqual(prompts.prompts.map((p) => p.name), ['brief']);
          const prompt = await client.getPrompt({ name: 'brief', arguments: { topic: 'MCP' } });
          assert.deepEqual(prompt.messages, [{ role: 'user', content: { type: 'text', text: 'Be brief about MCP.' } }]);
        } finally {
          await client.close();
        }
      });

      it('an elicitation is answered by the SDK client handler', async () => {
        const client = await connect(mode);
        try {
          // Modern: an InputRequiredResult round the SDK fulfils and retries; legacy: a real
          // elicitation/create request on the session.
          const r = await client.callTool({ name: 'greet', arguments: {} });
          assert.deepEqual(r.content, [{ type: 'text', text: 'Hello, Ada!' }]);
        } finally {
          await client.close();
        }
      });
    });
  }

  for (const [label, mode] of MODES.filter(([, , era]) => era === 'modern')) {
    it(`${label}: subscriptions/listen delivers a tools list_changed`, async () => {
      const client = await connect(mode);
      try {
        const changed = new Promise<void>((resolve) => client.setNotificationHandler('notifications/tools/list_changed', () => resolve()));
        const sub = await client.listen({ toolsListChanged: true });
        assert.equal(sub.honoredFilter.toolsListChanged, true);
        await client.callTool({ name: 'toggle', arguments: {} });
        await changed;
        await sub.close();
        assert.equal(await sub.closed, 'local');
      } finally {
        await client.close();
      }
    });
  }
});
