/**
 * Hosts official-SDK servers over Streamable HTTP on node:http, the way the SDK's README
 * describes: one StreamableHTTPServerTransport (and one McpServer) per session, created by an
 * initialize POST and found again by the Mcp-Session-Id header.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

export interface SdkHttpHost {
  url: string;
  /** Live sessions by id. */
  readonly sessions: Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function jsonError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

export async function startSdkHttpServer(factory: () => McpServer, options: { enableJsonResponse?: boolean } = {}): Promise<SdkHttpHost> {
  const sessions: SdkHttpHost['sessions'] = new Map();
  const http = createServer((req, res) => {
    void (async () => {
      const sid = req.headers['mcp-session-id'];
      const existing = typeof sid === 'string' ? sessions.get(sid) : undefined;
      if (existing) return existing.transport.handleRequest(req, res);
      if (sid !== undefined) return jsonError(res, 404, 'Session not found');
      if (req.method !== 'POST') return jsonError(res, 400, 'Bad Request: No valid session ID provided');
      const body = await readJson(req);
      if (!isInitializeRequest(body)) return jsonError(res, 400, 'Bad Request: No valid session ID provided');
      const server = factory();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: options.enableJsonResponse ?? false,
        onsessioninitialized: (id) => void sessions.set(id, { transport, server }),
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await server.connect(transport);
      return transport.handleRequest(req, res, body);
    })().catch((e: unknown) => {
      if (!res.headersSent) jsonError(res, 500, String(e));
      else res.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    sessions,
    close: async () => {
      await Promise.all([...sessions.values()].map((s) => s.server.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
