/**
 * Request checks of the Streamable HTTP endpoint that answer the client themselves when the
 * request fails them: the JSON body, the MCP-Protocol-Version header, batches.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../../protocol/errors.js';
import { isSupportedVersion } from '../../protocol/versions.js';
import { header, readBody, sendError } from '../shared/http.js';
import { bodyLeftByMiddleware } from './server-options.js';

/** Returned by a check that has already answered the request. */
export const ANSWERED: unique symbol = Symbol('answered');

/**
 * The POST body as JSON: `parsedBody` when a caller passed one, what a body parser left on
 * `req.body`, else read here within `maxBytes`. ANSWERED after a 400/413 was sent. A promise only
 * when the body is read here (no async function: one promise fewer per request).
 */
export function jsonBody(req: IncomingMessage, res: ServerResponse, parsedBody: unknown, maxBytes: number): { value: unknown } | Promise<{ value: unknown }> {
  if (parsedBody !== undefined) return { value: parsedBody };
  if (req.readableEnded) {
    // Mounted behind a body parser that did not hand us its result: use what it left on req.body.
    const left = bodyLeftByMiddleware(req);
    if (left !== undefined) return { value: left };
    sendError(res, 400, 'Bad Request: the request body was already consumed; pass it to handle()');
    return { value: ANSWERED };
  }
  return readBody(req, maxBytes).then((body) => {
    if (!body.ok) {
      sendError(res, body.status, body.message, body.code, body.headers);
      return { value: ANSWERED };
    }
    try {
      return { value: JSON.parse(body.text) as unknown };
    } catch (e) {
      sendError(res, 400, `Parse error: ${(e as Error).message}`, ErrorCode.ParseError);
      return { value: ANSWERED };
    }
  });
}

/** The MCP-Protocol-Version header: undefined when absent, null after answering 400 for an unsupported one. */
export function versionHeader(req: IncomingMessage, res: ServerResponse): string | undefined | null {
  const value = header(req, 'mcp-protocol-version');
  if (value === undefined) return undefined;
  if (isSupportedVersion(value)) return value;
  // basic/transports#protocol-version-header: invalid or unsupported → 400.
  sendError(res, 400, `Bad Request: unsupported MCP-Protocol-Version ${JSON.stringify(value)}`);
  return null;
}

/**
 * basic/transports#protocol-version-header: the header names the version negotiated at
 * initialization; a session at one version does not serve requests claiming another (400),
 * unless `mode` is 'supported'.
 */
export function versionMatches(negotiated: string | undefined, headerVersion: string | undefined, mode: 'strict' | 'supported' | undefined, res: ServerResponse): boolean {
  if (headerVersion === undefined || negotiated === undefined || headerVersion === negotiated || mode === 'supported') return true;
  sendError(res, 400, `Bad Request: MCP-Protocol-Version ${headerVersion} does not match this session's negotiated version ${negotiated}`);
  return false;
}

export function batchRejected(res: ServerResponse): void {
  sendError(res, 400, 'Invalid request: JSON-RPC batches are only allowed with protocol version 2025-03-26', ErrorCode.InvalidRequest);
}
