/**
 * `erlmcp start` serves every transport, driven by real clients in child-process form:
 * the official SDK's stdio, Streamable HTTP, WebSocket and legacy SSE clients, and ours over
 * TCP, TLS and WSS. The server module is a TypeScript file loaded through tsx.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport as SdkStdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocket } from 'ws';
import { CLI_MAIN, cleanEnv, spawnCli, startCli } from '../../test/helpers/cli.js';
import { runSdkWsScenario } from '../../test/transports/fixtures/sdk-ws-client.js';
import { Client } from '../client/index.js';
import { TcpClientTransport } from '../transports/tcp/index.js';
import { selfSignedCert } from '../transports/tcp/fixtures/cert.js';
import { WebSocketClientTransport } from '../transports/ws/index.js';

const SERVER_URL = new URL('../server/index.js', import.meta.url).href;

/** A TypeScript server module: type-only syntax that plain Node would refuse. */
export const TS_MODULE = `import { McpServer } from ${JSON.stringify(SERVER_URL)};

interface Greeting {
  name: string;
}

export function createServer(): McpServer {
  const server = new McpServer({ name: 'ts-module', version: '1.0.0' });
  server.tool(
    'greet',
    { description: 'Greets someone', inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
    (args) => {
      const g = args as unknown as Greeting;
      return { content: [{ type: 'text' as const, text: \`hello \${g.name}\` }] };
    },
  );
  return server;
}
`;

const dir = mkdtempSync(join(tmpdir(), 'erlmcp-start-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const tsModule = join(dir, 'server.ts');
writeFileSync(tsModule, TS_MODULE);

async function sdkGreet(client: SdkClient): Promise<string> {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name), ['greet']);
  const r = await client.callTool({ name: 'greet', arguments: { name: 'sdk' } });
  return (r.content as { text: string }[])[0]!.text;
}

describe('erlmcp start --stdio --module <file.ts>', { timeout: 180_000 }, () => {
  it('is driven by the official SDK stdio client, and exits 0 when the client closes stdin', async () => {
    const transport = new SdkStdioClientTransport({ command: process.execPath, args: [CLI_MAIN, 'start', '--stdio', '--module', tsModule], env: cleanEnv() as Record<string, string>, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d));
    const client = new SdkClient({ name: 'sdk', version: '1' });
    await client.connect(transport);
    try {
      assert.equal(client.getServerVersion()?.name, 'ts-module');
      assert.equal(await sdkGreet(client), 'hello sdk');
    } finally {
      await client.close();
    }
    assert.match(stderr, /erlmcp: serving .*server\.ts \(MCP 2025-11-25 and 2026-07-28, stdio/, 'the banner goes to stderr');
  });

  it('answers on stdout only, and exits 0 on its own when stdin ends', async () => {
    const child = spawnCli(['start', '--stdio', '--module', tsModule], { stdin: 'pipe' });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
    child.stdin!.write(`${JSON.stringify(init)}\n`);
    await new Promise<void>((resolve) => child.stdout!.on('data', () => stdout.includes('\n') && resolve()));
    child.stdin!.end();
    assert.equal(await exited, 0);
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 1, `stdout holds only the protocol: ${stdout}`);
    assert.equal(JSON.parse(lines[0]!).result.serverInfo.name, 'ts-module');
  });
});

describe('erlmcp start --ws --legacy-sse --tcp-port 0', { timeout: 180_000 }, () => {
  it('serves Streamable HTTP, WebSocket, legacy SSE and TCP on one McpServer, each driven by a real client', async () => {
    const s = await startCli(['--port', '0', '--ws', '--legacy-sse', '--tcp-port', '0']);
    try {
      for (const k of ['endpoint', 'ws', 'sse', 'tcp', 'health', 'ready']) assert.ok(s.urls[k], `banner has ${k}: ${s.banner}`);
      assert.match(s.banner, /Streamable HTTP \+ WebSocket \+ legacy HTTP\+SSE \+ TCP/);

      const http = new SdkClient({ name: 'sdk-http', version: '1' });
      await http.connect(new StreamableHTTPClientTransport(new URL(s.urls.endpoint!)));
      assert.equal(http.getServerVersion()?.name, 'erlmcp-everything');
      await http.close();

      // The official SDK's WebSocket client (global WebSocket = ws), full scenario incl. sampling and progress.
      const g = globalThis as { WebSocket?: unknown };
      const original = g.WebSocket;
      g.WebSocket = WebSocket;
      try {
        const o = await runSdkWsScenario(s.urls.ws!);
        assert.equal(o.serverName, 'erlmcp-everything');
        assert.deepEqual(o.addNumbers, { content: [{ type: 'text', text: '42' }], structuredContent: { sum: 42 } });
        assert.deepEqual(o.errors, []);
      } finally {
        g.WebSocket = original;
      }

      const legacy = new SdkClient({ name: 'sdk-sse', version: '1' });
      await legacy.connect(new SSEClientTransport(new URL(s.urls.sse!)));
      assert.ok((await legacy.listTools()).tools.some((t) => t.name === 'add_numbers'));
      await legacy.close();

      const tcpUrl = new URL(s.urls.tcp!);
      const tcp = new Client({ name: 'tcp', version: '1' });
      await tcp.connect(new TcpClientTransport({ host: tcpUrl.hostname, port: Number(tcpUrl.port) }));
      const sum = await tcp.callTool({ name: 'add_numbers', arguments: { a: 1, b: 2 } });
      assert.deepEqual(sum.structuredContent, { sum: 3 });
      await tcp.close();
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });
});

describe('erlmcp start --tls-cert --tls-key', { timeout: 180_000 }, () => {
  it('serves HTTPS, WSS and TLS over TCP with the one certificate', async () => {
    const { cert, key } = selfSignedCert();
    writeFileSync(join(dir, 'cert.pem'), cert);
    writeFileSync(join(dir, 'key.pem'), key);
    const s = await startCli(['--port', '0', '--ws', '--tcp-port', '0', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')]);
    try {
      assert.match(s.urls.endpoint!, /^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
      assert.match(s.urls.ws!, /^wss:\/\//);
      assert.match(s.urls.tcp!, /^tls:\/\//);

      const health = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        httpsRequest(s.urls.health!, { ca: cert }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
          .on('error', reject)
          .end();
      });
      assert.equal(health.status, 200);
      assert.match(health.body, /"status":"ok"/);

      const wss = new Client({ name: 'wss', version: '1' });
      await wss.connect(new WebSocketClientTransport(s.urls.ws!, { ca: cert }));
      assert.deepEqual((await wss.callTool({ name: 'add_numbers', arguments: { a: 2, b: 2 } })).structuredContent, { sum: 4 });
      await wss.close();

      const tlsUrl = new URL(s.urls.tcp!);
      const tls = new Client({ name: 'tls', version: '1' });
      await tls.connect(new TcpClientTransport({ host: tlsUrl.hostname, port: Number(tlsUrl.port), tls: { ca: cert } }));
      assert.deepEqual((await tls.callTool({ name: 'add_numbers', arguments: { a: 3, b: 4 } })).structuredContent, { sum: 7 });
      await tls.close();
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });
});

describe('erlmcp start --ws --module <file.ts>', { timeout: 180_000 }, () => {
  it('is driven by the official SDK WebSocket client', async () => {
    const s = await startCli(['--port', '0', '--ws', '--module', tsModule]);
    const g = globalThis as { WebSocket?: unknown };
    const original = g.WebSocket;
    g.WebSocket = WebSocket;
    try {
      const { WebSocketClientTransport: SdkWs } = await import('@modelcontextprotocol/sdk/client/websocket.js');
      const client = new SdkClient({ name: 'sdk-ws', version: '1' });
      await client.connect(new SdkWs(new URL(s.urls.ws!)));
      assert.equal(await sdkGreet(client), 'hello sdk');
      await client.close();
    } finally {
      g.WebSocket = original;
      assert.equal((await s.stop()).code, 0);
    }
  });
});
