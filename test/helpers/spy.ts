/**
 * A Transport wrapper that records what crosses it (and the SendOptions the engine passed),
 * and can make chosen sends fail — for asserting on the wire without a real network.
 */
import type { MessageExtra, SendOptions, Transport } from '../../src/protocol/transport.js';
import type { JSONRPCMessage } from '../../src/protocol/types.js';

export type AnyMessage = JSONRPCMessage & { id?: unknown; method?: string; params?: Record<string, unknown>; result?: unknown; error?: { code: number; message: string; data?: unknown } };

export class SpyTransport implements Transport {
  readonly sent: { message: AnyMessage; options: SendOptions | undefined }[] = [];
  readonly received: AnyMessage[] = [];
  readonly versions: string[] = [];
  /** Return an Error to make that send reject with it. */
  failSend?: (message: AnyMessage) => Error | undefined;
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;

  /** Present only when the wrapped transport has it, so the engine's choice is unchanged. */
  sendBatch?: (messages: JSONRPCMessage[]) => Promise<void>;
  readonly batches: AnyMessage[][] = [];

  constructor(readonly inner: Transport) {
    if (inner.sendBatch) {
      this.sendBatch = async (messages) => {
        this.batches.push(messages as AnyMessage[]);
        await inner.sendBatch!(messages);
      };
    }
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  async start(): Promise<void> {
    this.inner.onmessage = (m, extra) => {
      this.received.push(m as AnyMessage);
      this.onmessage?.(m, extra);
    };
    this.inner.onerror = (e) => this.onerror?.(e);
    this.inner.onclose = () => this.onclose?.();
    await this.inner.start();
  }

  async send(message: JSONRPCMessage, options?: SendOptions): Promise<void> {
    this.sent.push({ message: message as AnyMessage, options });
    const err = this.failSend?.(message as AnyMessage);
    if (err) throw err;
    await this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  setProtocolVersion(version: string): void {
    this.versions.push(version);
    this.inner.setProtocolVersion?.(version);
  }

  sentMethods(): string[] {
    return this.sent.map((s) => s.message.method ?? '(response)');
  }
}
