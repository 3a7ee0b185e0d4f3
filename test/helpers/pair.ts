/**
 * Shared test harness: our Client ↔ our McpServer over an in-memory linked pair, and a raw
 * peer that drives a server session by hand (bad input, batches, ordering).
 */
import { Client, type ClientOptions } from '../../src/client/client.js';
import type { JSONRPCMessage, RequestId } from '../../src/protocol/types.js';
import type { McpServer } from '../../src/server/server.js';
import type { ServerSession } from '../../src/server/session.js';
import { InMemoryTransport } from '../../src/transports/memory.js';

/** Resolves after pending microtasks and one macrotask turn. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * How long a test waits for something that should happen before it gives up. A backstop for a
 * broken build, not a timing claim: on a loaded machine (load average 10) an in-process event
 * can take far longer than usual, and a test must not fail for that.
 */
export const WAIT_MS = 30_000;

/** Polls `cond` until true; rejects after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = WAIT_MS, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(2);
  }
}

export interface Pair {
  client: Client;
  serverSession: ServerSession;
  clientTransport: InMemoryTransport;
  serverTransport: InMemoryTransport;
  close(): Promise<void>;
}

/**
 * Connects a new Client to `server` and waits until the session has seen
 * notifications/initialized. Messages are structured-cloned so no test passes on aliasing.
 */
export async function connectPair(server: McpServer, clientOptions?: ClientOptions, name = 'test-client'): Promise<Pair> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair({ structuredClone: true });
  const serverSession = await server.connect(serverTransport);
  const client = new Client({ name, version: '1.0.0' }, clientOptions);
  await client.connect(clientTransport);
  await until(() => serverSession.initialized, WAIT_MS, 'notifications/initialized');
  return { client, serverSession, clientTransport, serverTransport, close: () => client.close() };
}

type Msg = JSONRPCMessage & { id?: RequestId | null; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };

/** Drives the client end of a linked pair by hand. */
export class RawPeer {
  readonly received: Msg[] = [];
  private nextId = 1000;

  private constructor(
    readonly transport: InMemoryTransport,
    readonly serverTransport: InMemoryTransport,
    readonly session: ServerSession,
  ) {}

  static async connect(server: McpServer): Promise<RawPeer> {
    const [peer, serverEnd] = InMemoryTransport.createLinkedPair({ structuredClone: true });
    const session = await server.connect(serverEnd);
    const raw = new RawPeer(peer, serverEnd, session);
    peer.onmessage = (m) => raw.received.push(m as Msg);
    await peer.start();
    return raw;
  }

  /** Sends a (possibly malformed) object through the transport. */
  send(value: unknown): Promise<void> {
    return this.transport.send(value as JSONRPCMessage);
  }

  /** Injects any value (array, number, null…) straight into the server's transport. */
  inject(value: unknown): void {
    this.serverTransport.deliver(value);
  }

  /** Waits for the first received message matching `pred` (already received ones count). */
  async next(pred: (m: Msg) => boolean, timeoutMs = WAIT_MS): Promise<Msg> {
    let found: Msg | undefined;
    await until(() => (found = this.received.find(pred)) !== undefined, timeoutMs, 'a matching message');
    return found!;
  }

  /** The response to id `id`. */
  response(id: RequestId | null, timeoutMs = WAIT_MS): Promise<Msg> {
    return this.next((m) => m.id === id && (m.result !== undefined || m.error !== undefined), timeoutMs);
  }

  async request(method: string, params?: Record<string, unknown>): Promise<Msg> {
    const id = this.nextId++;
    await this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return this.response(id);
  }

  async initialize(protocolVersion = '2025-11-25', capabilities: Record<string, unknown> = {}): Promise<Msg> {
    const r = await this.request('initialize', { protocolVersion, capabilities, clientInfo: { name: 'raw', version: '0' } });
    await this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return r;
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
