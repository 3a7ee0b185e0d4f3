/**
 * Server side of the stdio transport (basic/transports#stdio): read newline-delimited JSON-RPC
 * from stdin, write it to stdout. Nothing but MCP messages goes to stdout — logs belong on
 * stderr — so the transport itself never prints.
 *
 * Bad input does not end the session: an unparsable line is answered with a -32700 parse
 * error and an oversized one with a -32600 error carrying the id recovered from its prefix,
 * then the next line is served normally.
 */
import type { Readable, Writable } from 'node:stream';
import { ErlmcpError, toError } from '../../protocol/errors.js';
import { parseJson } from '../../protocol/jsonrpc.js';
import type { MessageExtra, Transport } from '../../protocol/transport.js';
import type { JSONRPCErrorResponse, JSONRPCMessage } from '../../protocol/types.js';
import { NewlineFramer, serialize, tooLargeResponse, type OverflowInfo } from '../shared/framing.js';
import { BackpressureWriter } from './writer.js';
import { encodeBatch } from '../../protocol/encode.js';

export interface StdioServerTransportOptions {
  /** Defaults to process.stdin. */
  stdin?: Readable;
  /** Defaults to process.stdout. */
  stdout?: Writable;
  /** Per-message limit in bytes; default 16 MiB. */
  maxMessageBytes?: number;
}

/**
 * Serves one session on this process's stdin/stdout (newline-delimited JSON-RPC); logs belong on stderr.
 *
 * @example
 * await server.connect(new StdioServerTransport());
 */
export class StdioServerTransport implements Transport {
  readonly kind = 'stdio';
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  readonly sessionId: string | undefined = undefined;

  private readonly stdin: Readable;
  private readonly stdout: Writable;
  private readonly framer: NewlineFramer;
  private readonly writer: BackpressureWriter;
  private started = false;
  private closed = false;

  constructor(options?: StdioServerTransportOptions) {
    this.stdin = options?.stdin ?? process.stdin;
    this.stdout = options?.stdout ?? process.stdout;
    this.writer = new BackpressureWriter(this.stdout);
    this.framer = new NewlineFramer({
      maxMessageBytes: options?.maxMessageBytes,
      onframe: (line) => this.handleLine(line),
      onoverflow: (info) => this.handleOverflow(info),
    });
  }

  async start(): Promise<void> {
    if (this.started) throw new ErlmcpError('ERR_TRANSPORT', 'StdioServerTransport already started');
    if (this.closed) throw new ErlmcpError('ERR_CONNECTION_CLOSED', 'StdioServerTransport is closed');
    this.started = true;
    this.stdin.on('data', this.onData);
    this.stdin.on('end', this.onEnd);
    this.stdin.on('error', this.onStdinError);
    // Without a listener an EPIPE (client gone) would crash the process.
    this.stdout.on('error', this.onStdoutError);
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return Promise.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', 'StdioServerTransport is closed'));
    return this.writer.write(serialize(message));
  }

  /** A 2025-03-26 batch's responses, as one array on one line. */
  sendBatch(messages: JSONRPCMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', 'StdioServerTransport is closed'));
    return this.writer.write(encodeBatch(messages) + '\n');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off('data', this.onData);
    this.stdin.off('end', this.onEnd);
    this.stdin.off('error', this.onStdinError);
    this.stdout.off('error', this.onStdoutError);
    // Stop reading without destroying: stdin may be process.stdin, which others may still use;
    // pausing also lets the event loop exit.
    this.stdin.pause();
    this.framer.reset();
    this.onclose?.();
  }

  private readonly onData = (chunk: Buffer | string): void => {
    this.framer.push(chunk);
  };

  private readonly onEnd = (): void => {
    void this.close();
  };

  private readonly onStdinError = (e: Error): void => {
    this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `stdin error: ${e.message}`, { cause: e }));
    void this.close();
  };

  private readonly onStdoutError = (e: Error): void => {
    this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `stdout error: ${e.message}`, { cause: e }));
    void this.close();
  };

  private handleLine(line: string): void {
    if (this.closed) return;
    const parsed = parseJson(line);
    if (!parsed.ok) {
      this.reply(parsed.response);
      return;
    }
    try {
      this.onmessage?.(parsed.value);
    } catch (e) {
      this.onerror?.(toError(e));
    }
  }

  private handleOverflow(info: OverflowInfo): void {
    if (this.closed) return;
    const limit = this.framer.maxMessageBytes;
    this.onerror?.(new ErlmcpError('ERR_MESSAGE_TOO_LARGE', `Dropped an inbound message of ${info.bytes}+ bytes (limit ${limit})`));
    this.reply(tooLargeResponse(info, limit));
  }

  private reply(response: JSONRPCErrorResponse): void {
    this.send(response).catch((e: unknown) => this.onerror?.(toError(e)));
  }
}
