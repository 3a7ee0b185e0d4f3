/**
 * Raw HTTP for the transport checks: node:http with every header under our control (Host and
 * Origin included, which a WHATWG fetch would not let us forge), one fresh connection per
 * request, and a bounded read of an SSE body. Nothing here interprets MCP beyond JSON-RPC ids.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { createParser } from 'eventsource-parser';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body; for an SSE answer, the raw text read before the stop condition or the time limit. */
  text: string;
  /** SSE events read (empty for other content types). */
  events: { id: string | undefined; data: string }[];
  /** JSON-RPC messages found in the body (a JSON body, or the data of each SSE event). */
  messages: Record<string, unknown>[];
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Give up on the body after this long (an SSE stream may stay open). Default 5000 ms. */
  timeoutMs?: number;
  /** For SSE: stop reading once this returns true for a received message. */
  until?: (message: Record<string, unknown>) => boolean;
  /** For SSE: stop reading at the first event that carries an id. */
  untilEventId?: boolean;
}

/** The headers a conforming client sends on a POST (basic/transports#sending-messages-to-the-server). */
export function postHeaders(sessionId?: string, protocolVersion?: string): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (sessionId !== undefined) h['mcp-session-id'] = sessionId;
  if (protocolVersion !== undefined) h['mcp-protocol-version'] = protocolVersion;
  return h;
}

function parseMessages(value: unknown): Record<string, unknown>[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((m): m is Record<string, unknown> => m !== null && typeof m === 'object');
}

/** One HTTP exchange. Rejects only when no response arrives (refused, reset, timeout before headers). */
export function rawHttp(url: URL, req: RawRequest = {}): Promise<RawResponse> {
  const timeoutMs = req.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const r = send(url, { method: req.method ?? 'POST', headers: req.headers ?? {}, agent: false, setHost: req.headers?.host === undefined && req.headers?.Host === undefined });
    const timer = setTimeout(() => r.destroy(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
    r.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    r.on('response', (res) => {
      const type = String(res.headers['content-type'] ?? '').toLowerCase();
      const sse = type.startsWith('text/event-stream');
      let text = '';
      const events: RawResponse['events'] = [];
      const messages: Record<string, unknown>[] = [];
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (!sse && text.trim() !== '') {
          try {
            messages.push(...parseMessages(JSON.parse(text)));
          } catch {
            // not JSON: the text is reported as it is
          }
        }
        res.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, events, messages });
      };
      const parser = createParser({
        onEvent: (ev) => {
          events.push({ id: ev.id, data: ev.data });
          if (req.untilEventId && ev.id !== undefined) finish();
          if (done || ev.data.trim() === '') return;
          try {
            for (const m of parseMessages(JSON.parse(ev.data))) {
              messages.push(m);
              if (req.until?.(m)) finish();
            }
          } catch {
            // a non-JSON data line is kept in `text` only
          }
        },
      });
      res.setEncoding('utf8');
      // The headers arrived: from here a slow SSE stream ends the read quietly, not in error.
      clearTimeout(timer);
      const bodyTimer = setTimeout(finish, timeoutMs);
      res.on('data', (chunk: string) => {
        if (done) return;
        if (text.length < 1_000_000) text += chunk;
        if (sse) parser.feed(chunk);
      });
      res.on('end', () => {
        clearTimeout(bodyTimer);
        finish();
      });
      res.on('error', () => {
        clearTimeout(bodyTimer);
        finish();
      });
      res.on('close', () => {
        clearTimeout(bodyTimer);
        finish();
      });
    });
    r.end(req.body);
  });
}

/** The JSON-RPC response with this id in a raw answer, if any. */
export function responseTo(res: RawResponse, id: number | string): Record<string, unknown> | undefined {
  return res.messages.find((m) => m.id === id && (m.result !== undefined || m.error !== undefined));
}

/**
 * A POST written on a plain socket, for a body the server may refuse before it has all arrived:
 * a server answering 413 and closing mid-upload makes an HTTP client fail with EPIPE, yet the
 * status line it sent is what we want. Resolves with the status read (0 when none came).
 */
const EARLY_ANSWER_WAIT_MS = 1000;

export function socketPost(url: URL, headers: Record<string, string>, body: Buffer, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const port = Number(url.port || 80);
    const socket = netConnect({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
    let received = '';
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      const bodyStart = received.indexOf('\r\n\r\n');
      resolve({ status: m ? Number(m[1]) : 0, text: bodyStart >= 0 ? received.slice(bodyStart + 4, bodyStart + 400) : '' });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      received += d;
      // The status line and headers are enough once the response head is complete.
      if (received.includes('\r\n\r\n') && received.length > received.indexOf('\r\n\r\n') + 4) done();
    });
    socket.on('error', () => {}); // EPIPE/ECONNRESET after the server refused: what it sent is kept
    socket.on('close', done);
    socket.on('connect', () => {
      const head = [`POST ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, `content-length: ${body.length}`, 'connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
      socket.write(head);
      // A server that refuses by Content-Length answers before the body: give it a moment first,
      // since writing on after it closed makes the kernel reset the connection, and a reset can
      // discard the unread answer. Then piece by piece, stopping once the server has answered.
      const CHUNK = 64 * 1024;
      let offset = 0;
      const next = (): void => {
        if (settled || received.length > 0 || socket.destroyed) return;
        if (offset >= body.length) return;
        const piece = body.subarray(offset, offset + CHUNK);
        offset += piece.length;
        socket.write(piece, () => setImmediate(next));
      };
      setTimeout(next, EARLY_ANSWER_WAIT_MS);
    });
  });
}
