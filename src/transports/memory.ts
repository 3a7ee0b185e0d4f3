/**
 * In-memory linked pair: two transports whose send() delivers to the other's onmessage.
 * Messages are passed by reference on a microtask — no serialisation — so tests and in-process
 * embedding pay only for the engine. Use `structuredClone: true` to catch aliasing bugs.
 */
import { ErlmcpError } from '../protocol/errors.js';
import type { MessageExtra, Transport } from '../protocol/transport.js';
import type { JSONRPCMessage } from '../protocol/types.js';

/**
 * Two linked in-process ends: tests and embedding, no serialisation.
 *
 * @example
 * const [a, b] = InMemoryTransport.createLinkedPair();
 * await server.connect(a);
 * await client.connect(b);
 */
export class InMemoryTransport implements Transport {
  readonly kind = 'memory';
  private peer: InMemoryTransport | undefined;
  private closed = false;
  private readonly queue: unknown[] = [];
  private started = false;
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  sessionId?: string | undefined;

  constructor(
    private readonly clone = false,
    /** Opt-in size check (it serialises each message, so off by default). */
    private readonly maxMessageBytes?: number,
  ) {}

  /** Creates a linked [client, server] pair. */
  static createLinkedPair(options?: { structuredClone?: boolean; maxMessageBytes?: number }): [InMemoryTransport, InMemoryTransport] {
    const a = new InMemoryTransport(options?.structuredClone, options?.maxMessageBytes);
    const b = new InMemoryTransport(options?.structuredClone, options?.maxMessageBytes);
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  async start(): Promise<void> {
    this.started = true;
    // Deliver whatever the peer sent before we were listening.
    for (const m of this.queue.splice(0)) this.onmessage?.(m);
  }

  send(message: JSONRPCMessage): Promise<void> {
    const peer = this.peer;
    if (this.closed || !peer || peer.closed) return Promise.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', 'In-memory transport is closed'));
    if (this.maxMessageBytes !== undefined) {
      const bytes = Buffer.byteLength(JSON.stringify(message));
      if (bytes > this.maxMessageBytes) {
        return Promise.reject(new ErlmcpError('ERR_MESSAGE_TOO_LARGE', `Message of ${bytes} bytes exceeds the ${this.maxMessageBytes}-byte limit`));
      }
    }
    const m = this.clone ? structuredClone(message) : message;
    if (!peer.started) peer.queue.push(m);
    else queueMicrotask(() => peer.deliver(m));
    return Promise.resolve();
  }

  sendBatch(messages: JSONRPCMessage[]): Promise<void> {
    return this.send(messages as unknown as JSONRPCMessage);
  }

  /** Injects a raw value as if the peer had sent it (bad-input tests). */
  deliver(value: unknown): void {
    if (!this.closed) this.onmessage?.(value);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const peer = this.peer;
    this.onclose?.();
    if (peer && !peer.closed) await peer.close();
  }
}
