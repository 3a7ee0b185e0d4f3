/**
 * One connected client per implementation and transport, behind the same small surface, so a
 * scenario can run the identical workload through ours, the SDK's and the raw reference.
 * "ours" and "sdk" are each side's own Client on each side's own transport: the real code path.
 */
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as SdkStdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as SdkHttpClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport as SdkInMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Client } from '../../src/client/index.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/client.js';
import { InMemoryTransport } from '../../src/transports/memory.js';
import { StdioClientTransport } from '../../src/transports/stdio/index.js';
import { createOurServer } from '../fixtures/ours-tools.js';
import { ECHO_RESULT } from '../fixtures/payload.js';
import { createSdkServer } from '../fixtures/sdk-tools.js';
import { keepAliveAgent, RawHttpSession } from './raw-http-client.js';
import { RawStdioClient } from './raw-stdio-client.js';
import { fixturePath } from './spawn.js';

export interface Driver {
  call(name: string, args: Record<string, unknown>): Promise<unknown>;
  list(): Promise<unknown>;
  close(): Promise<void>;
}

const INFO = { name: 'bench-client', version: '1.0.0' };
/** Large-payload calls may take seconds; nothing here should hit a client's default timeout. */
const TIMEOUT_MS = 120_000;

/**
 * A call that fails because the connection dropped says only "closed"; the transport's own
 * error (say, a buffer limit) is the useful part of the recorded result.
 */
function explained<T>(p: Promise<T>, first: { error?: Error }): Promise<T> {
  return p.catch((e: unknown) => {
    const why = first.error ? ` (transport: ${first.error.message})` : '';
    throw new Error(`${(e as Error).message}${why}`);
  });
}

function ourDriver(client: Client, cleanup?: () => Promise<void>): Driver {
  const first: { error?: Error } = {};
  client.onerror = (e) => (first.error ??= e);
  return {
    call: (name, args) => explained(client.callTool({ name, arguments: args }, { timeoutMs: TIMEOUT_MS }), first),
    list: () => client.listTools(),
    close: async () => {
      await client.close();
      await cleanup?.();
    },
  };
}

function sdkDriver(client: SdkClient, cleanup?: () => Promise<void>): Driver {
  const first: { error?: Error } = {};
  client.onerror = (e) => (first.error ??= e);
  return {
    call: (name, args) => explained(client.callTool({ name, arguments: args }, undefined, { timeout: TIMEOUT_MS }), first),
    list: () => client.listTools(),
    close: async () => {
      await client.close();
      await cleanup?.();
    },
  };
}

// ---------- in-process ----------

export async function ourMemory(extraTools = 0): Promise<Driver> {
  const server = createOurServer(extraTools);
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  const client = new Client(INFO);
  await client.connect(ct);
  return ourDriver(client, () => server.close());
}

export async function sdkMemory(extraTools = 0): Promise<Driver> {
  const server = createSdkServer(extraTools);
  const [ct, st] = SdkInMemoryTransport.createLinkedPair();
  await server.connect(st);
  const client = new SdkClient(INFO);
  await client.connect(ct);
  return sdkDriver(client, () => server.close());
}

/** The floor for in-process JSON-RPC: objects handed over on a microtask, a Map of pending ids. */
export function rawMemory(): Driver {
  const pending = new Map<number, (v: unknown) => void>();
  let nextId = 0;
  const serve = (m: { id: number }): void => {
    const reply = { jsonrpc: '2.0', id: m.id, result: ECHO_RESULT };
    queueMicrotask(() => {
      const resolve = pending.get(reply.id);
      pending.delete(reply.id);
      resolve?.(reply.result);
    });
  };
  return {
    call: (name, args) =>
      new Promise((resolve) => {
        const id = ++nextId;
        pending.set(id, resolve);
        const m = { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } };
        queueMicrotask(() => serve(m));
      }),
    list: () => Promise.reject(new Error('not applicable')),
    close: async () => {},
  };
}

// ---------- stdio (server in a child process) ----------

export async function ourStdio(args: string[] = [], maxMessageBytes?: number): Promise<Driver> {
  const client = new Client(INFO);
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [fixturePath('ours-stdio'), ...args], maxMessageBytes }));
  return ourDriver(client);
}

export async function sdkStdio(args: string[] = []): Promise<Driver> {
  const client = new SdkClient(INFO);
  await client.connect(new SdkStdioClientTransport({ command: process.execPath, args: [fixturePath('sdk-stdio'), ...args] }));
  return sdkDriver(client);
}

export async function rawStdio(): Promise<Driver> {
  const c = RawStdioClient.start('raw-stdio');
  await c.handshake();
  return { call: (name, args) => c.request('tools/call', { name, arguments: args }), list: () => c.request('tools/list'), close: () => c.close() };
}

// ---------- Streamable HTTP (server in a child process) ----------

export async function ourHttp(url: string): Promise<Driver> {
  const client = new Client(INFO);
  await client.connect(new StreamableHttpClientTransport(url));
  return ourDriver(client);
}

export async function sdkHttp(url: string): Promise<Driver> {
  const client = new SdkClient(INFO);
  const transport = new SdkHttpClientTransport(new URL(url));
  await client.connect(transport);
  const driver = sdkDriver(client);
  return {
    ...driver,
    close: async () => {
      // DELETE the session first, as a well-behaved client does, then close.
      await transport.terminateSession().catch(() => {});
      await driver.close();
    },
  };
}

export async function rawHttp(url: string, sockets = 64): Promise<Driver> {
  const agent = keepAliveAgent(sockets);
  const s = await RawHttpSession.open(url, agent);
  return {
    call: (name, args) => s.request('tools/call', { name, arguments: args }),
    list: () => s.request('tools/list'),
    close: async () => {
      await s.delete().catch(() => {});
      agent.destroy();
    },
  };
}
