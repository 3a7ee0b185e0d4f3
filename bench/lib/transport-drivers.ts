/**
 * Drivers for the transports the other scenarios do not cover — WebSocket, TCP, TCP+TLS and
 * legacy HTTP+SSE — each a Client on its transport talking to a server in a child process
 * (started per driver, stopped on close). Same `Driver` surface as clients.ts.
 */
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport as SdkSseClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { WebSocketClientTransport as SdkWebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { WebSocket } from 'ws';
import { Client } from '../../src/client/index.js';
import type { Transport } from '../../src/protocol/transport.js';
import { LegacySseClientTransport } from '../../src/transports/sse-legacy/index.js';
import { TcpClientTransport } from '../../src/transports/tcp/index.js';
import type { TestCert } from '../../src/transports/tcp/fixtures/cert.js';
import { WebSocketClientTransport } from '../../src/transports/ws/index.js';
import type { Driver } from './clients.js';
import { startServerChild, type ServerChild } from './server-child.js';

const INFO = { name: 'bench-client', version: '1.0.0' };
const TIMEOUT_MS = 120_000;

type SdkTransport = Parameters<SdkClient['connect']>[0];

/** Starts the child, connects, and stops the child again if connecting fails. */
export async function withChild(child: Pick<ServerChild, 'address' | 'stop'>, connect: (address: string) => Promise<Driver>): Promise<Driver> {
  try {
    const d = await connect(child.address);
    return {
      ...d,
      close: async () => {
        await d.close().catch(() => {});
        await child.stop();
      },
    };
  } catch (e) {
    await child.stop();
    throw e;
  }
}

/** A call that fails because the connection dropped: the transport's own error says why. */
function failureWithCause(first: { error?: Error }) {
  return (e: unknown): never => {
    throw new Error(`${(e as Error).message}${first.error ? ` (transport: ${first.error.message})` : ''}`);
  };
}

async function ours(transport: Transport): Promise<Driver> {
  const client = new Client(INFO);
  const first: { error?: Error } = {};
  client.onerror = (e) => (first.error ??= e);
  await client.connect(transport);
  return {
    call: (name, args) => client.callTool({ name, arguments: args }, { timeoutMs: TIMEOUT_MS }).catch(failureWithCause(first)),
    list: () => client.listTools(),
    close: () => client.close(),
  };
}

async function sdk(transport: SdkTransport): Promise<Driver> {
  const client = new SdkClient(INFO);
  const first: { error?: Error } = {};
  client.onerror = (e) => (first.error ??= e);
  await client.connect(transport);
  return {
    call: (name, args) => client.callTool({ name, arguments: args }, undefined, { timeout: TIMEOUT_MS }).catch(failureWithCause(first)),
    list: () => client.listTools(),
    close: () => client.close(),
  };
}

// ---------- WebSocket ----------

export async function ourWs(): Promise<Driver> {
  return withChild(await startServerChild('ours-net', ['--transport', 'ws']), (url) => ours(new WebSocketClientTransport(url)));
}

/**
 * The SDK has a WebSocket client only (no server): its client against our McpWebSocketServer.
 * It opens the socket on the global `WebSocket`, which Node 20 lacks without a flag, so `ws`
 * stands in for it while connecting.
 */
export async function sdkWsClientToOurServer(): Promise<Driver> {
  return withChild(await startServerChild('ours-net', ['--transport', 'ws']), async (url) => {
    const g = globalThis as { WebSocket?: unknown };
    const original = g.WebSocket;
    g.WebSocket ??= WebSocket;
    try {
      return await sdk(new SdkWebSocketClientTransport(new URL(url)));
    } finally {
      g.WebSocket = original;
    }
  });
}

// ---------- TCP, TCP + TLS ----------

function hostPort(address: string): { host: string; port: number } {
  const u = new URL(address);
  return { host: u.hostname, port: Number(u.port) };
}

export async function ourTcp(): Promise<Driver> {
  return withChild(await startServerChild('ours-net', ['--transport', 'tcp']), (address) => ours(new TcpClientTransport({ ...hostPort(address), reconnect: false })));
}

export async function ourTls(cert: TestCert): Promise<Driver> {
  const child = await startServerChild('ours-net', ['--transport', 'tls'], { BENCH_TLS_KEY: cert.key.toString(), BENCH_TLS_CERT: cert.cert.toString() });
  return withChild(child, (address) => ours(new TcpClientTransport({ ...hostPort(address), tls: { ca: cert.cert, servername: 'localhost' }, reconnect: false })));
}

// ---------- legacy HTTP+SSE (2024-11-05) ----------

export async function ourLegacySse(): Promise<Driver> {
  return withChild(await startServerChild('ours-net', ['--transport', 'legacy-sse']), (url) => ours(new LegacySseClientTransport(url)));
}

export async function sdkLegacySse(): Promise<Driver> {
  return withChild(await startServerChild('sdk-legacy'), (url) => sdk(new SdkSseClientTransport(new URL(url))));
}
