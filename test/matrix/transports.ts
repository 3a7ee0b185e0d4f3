/**
 * The transport matrix: one entry per transport. Every scenario in matrix.test.ts runs over
 * every entry, so a new transport gets the whole matrix by adding one entry here.
 */
import { fileURLToPath } from 'node:url';
import { Client, type ClientOptions } from '../../src/client/index.js';
import type { Transport } from '../../src/protocol/transport.js';
import { InMemoryTransport } from '../../src/transports/memory.js';
import { StreamableHttpClientTransport, StreamableHttpServer } from '../../src/transports/http/index.js';
import { LegacySseClientTransport, LegacySseServer } from '../../src/transports/sse-legacy/index.js';
import { StdioClientTransport } from '../../src/transports/stdio/index.js';
import { McpTcpServer, TcpClientTransport } from '../../src/transports/tcp/index.js';
import { selfSignedCert, type TestCert } from '../../src/transports/tcp/fixtures/cert.js';
import { McpWebSocketServer, WebSocketClientTransport } from '../../src/transports/ws/index.js';
import { createMatrixServer } from './fixture-server.js';

export interface Connected {
  client: Client;
  close(): Promise<void>;
}

export interface MatrixEntry {
  name: string;
  /** Starts whatever server the transport needs (once per entry). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A new client session over this transport. */
  connect(options?: ClientOptions): Promise<Connected>;
  /** What happens to a 16 MiB + 1 message: an error on that call only, or the connection ends. */
  oversize: 'call-fails' | 'connection-closes';
}

const info = { name: 'matrix-client', version: '1.0.0' };

async function clientOver(transport: Transport, options?: ClientOptions): Promise<Connected> {
  const client = new Client(info, options);
  await client.connect(transport);
  return { client, close: () => client.close() };
}

function memory(): MatrixEntry {
  const server = createMatrixServer();
  return {
    name: 'in-memory',
    oversize: 'call-fails',
    async start() {},
    async stop() {
      await server.close();
    },
    async connect(options) {
      const [c, s] = InMemoryTransport.createLinkedPair({ maxMessageBytes: 16 * 1024 * 1024 });
      await server.connect(s);
      return clientOver(c, options);
    },
  };
}

function stdio(): MatrixEntry {
  const script = fileURLToPath(new URL('./stdio-server.js', import.meta.url));
  return {
    name: 'stdio',
    oversize: 'call-fails',
    async start() {},
    async stop() {},
    connect: (options) => clientOver(new StdioClientTransport({ command: process.execPath, args: [script, '--serve'] }), options),
  };
}

function streamableHttp(json: boolean): MatrixEntry {
  let http: StreamableHttpServer | undefined;
  let url = '';
  return {
    name: json ? 'streamable-http (json)' : 'streamable-http (sse)',
    oversize: 'call-fails',
    async start() {
      http = new StreamableHttpServer({ server: createMatrixServer(), enableJsonResponse: json });
      ({ url } = await http.listen(0, '127.0.0.1'));
    },
    async stop() {
      await http?.close();
    },
    async connect(options) {
      const transport = new StreamableHttpClientTransport(url);
      const c = await clientOver(transport, options);
      return {
        client: c.client,
        close: async () => {
          await transport.terminateSession().catch(() => {});
          await c.close();
        },
      };
    },
  };
}

function legacySse(): MatrixEntry {
  let legacy: LegacySseServer | undefined;
  let url = '';
  return {
    name: 'legacy http+sse',
    oversize: 'call-fails',
    async start() {
      legacy = new LegacySseServer({ server: createMatrixServer() });
      ({ url } = await legacy.listen(0, '127.0.0.1'));
    },
    async stop() {
      await legacy?.close();
    },
    connect: (options) => clientOver(new LegacySseClientTransport(url), options),
  };
}

function webSocket(tls: boolean): MatrixEntry {
  let ws: McpWebSocketServer | undefined;
  let url = '';
  let cert: TestCert | undefined;
  return {
    name: tls ? 'websocket (wss)' : 'websocket',
    // RFC 6455: an oversized frame closes the connection with 1009.
    oversize: 'connection-closes',
    async start() {
      cert = tls ? selfSignedCert() : undefined;
      ws = new McpWebSocketServer({ server: createMatrixServer(), tls: cert });
      ({ url } = await ws.listen(0, '127.0.0.1'));
    },
    async stop() {
      await ws?.close();
    },
    connect: (options) => clientOver(new WebSocketClientTransport(url, cert ? { ca: cert.cert } : {}), options),
  };
}

function tcp(tls: boolean): MatrixEntry {
  let server: McpTcpServer | undefined;
  let port = 0;
  let cert: TestCert | undefined;
  return {
    name: tls ? 'tcp+tls' : 'tcp',
    oversize: 'call-fails',
    async start() {
      cert = tls ? selfSignedCert() : undefined;
      server = new McpTcpServer({ server: createMatrixServer(), tls: cert });
      ({ port } = await server.listen(0, '127.0.0.1'));
    },
    async stop() {
      await server?.close();
    },
    connect: (options) =>
      clientOver(new TcpClientTransport({ host: '127.0.0.1', port, tls: cert ? { ca: cert.cert, servername: 'localhost' } : undefined, reconnect: false }), options),
  };
}

export function matrixEntries(): MatrixEntry[] {
  return [memory(), stdio(), streamableHttp(false), streamableHttp(true), legacySse(), webSocket(false), webSocket(true), tcp(false), tcp(true)];
}
