import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { ErlmcpError } from '../protocol/errors.js';
import { McpServer } from '../server/index.js';
import { StreamableHttpClientTransport } from './http/client.js';
import { StreamableHttpServer } from './http/server.js';
import { LegacySseClientTransport } from './sse-legacy/client.js';
import { SDK_LEGACY_SERVER_NAME, startSdkLegacyServer } from './sse-legacy/fixtures/sdk-legacy-server.js';
import { LegacySseServer } from './sse-legacy/server.js';
import { Client } from '../client/client.js';
import { connectHttp } from './connect-http.js';

function makeServer(): McpServer {
  const server = new McpServer({ name: 'erlmcp-http', version: '1.0.0' });
  server.tool('echo', { description: 'Echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }, async (args) => ({
    content: [{ type: 'text', text: String(args.text) }],
  }));
  return server;
}

/** A Client that counts its onclose calls. */
function newClient(): { client: Client; closes: () => number } {
  const client = new Client({ name: 'connect-http', version: '1.0.0' });
  let n = 0;
  client.onclose = () => n++;
  return { client, closes: () => n };
}

/** A node:http server that records "METHOD /path" and delegates to `handler`. */
async function serve(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ base: string; seen: string[] }> {
  const seen: string[] = [];
  const srv = createServer((req, res) => {
    seen.push(`${req.method} ${(req.url ?? '/').split('?', 1)[0]}`);
    handler(req, res);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(async () => {
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  });
  return { base: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen };
}

async function echo(client: Client, text: string): Promise<void> {
  const r = await client.callTool({ name: 'echo', arguments: { text } });
  assert.deepEqual(r.content, [{ type: 'text', text }]);
}

describe('connectHttp', () => {
  it('uses Streamable HTTP when the server speaks it', async (t) => {
    const http = new StreamableHttpServer({ server: makeServer() });
    const { url } = await http.listen(0);
    t.after(() => http.close());
    const { client, closes } = newClient();
    const transport = await connectHttp(client, url);
    t.after(() => client.close());
    assert.ok(transport instanceof StreamableHttpClientTransport);
    assert.ok(transport.sessionId);
    assert.equal(http.sessionCount, 1);
    await echo(client, 'streamable');
    await client.close();
    assert.equal(closes(), 1);
  });

  for (const status of [405, 404, 400]) {
    it(`falls back to HTTP+SSE when an SDK legacy-only server refuses the POST with ${status}`, async (t) => {
      const host = await startSdkLegacyServer(status === 405 ? {} : { refuseStatus: status });
      t.after(() => host.close());
      const { client, closes } = newClient();
      const transport = await connectHttp(client, host.url);
      t.after(() => client.close());
      assert.ok(transport instanceof LegacySseClientTransport);
      assert.equal(client.serverInfo?.name, SDK_LEGACY_SERVER_NAME);
      assert.deepEqual(host.seen.slice(0, 3), ['POST /sse', 'GET /sse', 'POST /messages']);
      await echo(client, 'legacy');
      assert.equal(closes(), 0, 'the refused probe does not close the client');
      await client.close();
      assert.equal(closes(), 1);
    });
  }

  it('falls back to our LegacySseServer given its SSE URL', async (t) => {
    const legacy = new LegacySseServer({ server: makeServer() });
    const { url } = await legacy.listen(0);
    t.after(() => legacy.close());
    const { client } = newClient();
    const transport = await connectHttp(client, url, { headers: { authorization: 'Bearer t' } });
    t.after(() => client.close());
    assert.ok(transport instanceof LegacySseClientTransport);
    assert.equal(legacy.sessionCount, 1);
    await echo(client, 'ours');
  });

  it('falls back even when the refusal carries a JSON-RPC error for the initialize request', async (t) => {
    const legacy = new LegacySseServer({ server: makeServer() });
    const { base } = await serve(t, (req, res) => {
      if (req.method === 'POST' && req.url === '/sse') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const id = (JSON.parse(body) as { id: number }).id;
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32600, message: 'not here' } }));
        });
        return;
      }
      void legacy.handle(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    t.after(() => legacy.close());
    const { client } = newClient();
    const transport = await connectHttp(client, `${base}/sse`);
    t.after(() => client.close());
    assert.ok(transport instanceof LegacySseClientTransport);
    await echo(client, 'after a 400 with a body');
  });

  it('does not fall back on other statuses (500): connect rejects with it', async (t) => {
    const { base, seen } = await serve(t, (_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('boom'));
    const { client } = newClient();
    await assert.rejects(connectHttp(client, `${base}/mcp`), (e: unknown) => e instanceof ErlmcpError && /^HTTP 500: boom/.test(e.message));
    assert.deepEqual(seen, ['POST /mcp']);
    assert.equal(client.connected, false);
  });

  it('reports both failures when the fallback fails too, and leaves the client closed', async (t) => {
    const { base, seen } = await serve(t, (_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('nothing here'));
    const { client, closes } = newClient();
    await assert.rejects(
      connectHttp(client, `${base}/mcp`),
      (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_TRANSPORT' && /Streamable HTTP was refused \(HTTP 404: nothing here\)/.test(e.message) && /fallback failed: HTTP 404/.test(e.message),
    );
    assert.deepEqual(seen, ['POST /mcp', 'GET /mcp']);
    assert.equal(client.connected, false);
    assert.equal(closes(), 1);
  });

  it('does not fall back when the server cannot be reached', async (t) => {
    const { base } = await serve(t, () => {});
    const closed = base.replace(/:\d+$/, ':1'); // port 1: nothing listens there
    const { client } = newClient();
    await assert.rejects(connectHttp(client, `${closed}/mcp`), (e: unknown) => e instanceof ErlmcpError && /HTTP request failed/.test(e.message));
    assert.equal(client.connected, false);
  });
});
