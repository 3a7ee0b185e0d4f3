/**
 * `requestState` for multi-round-trip requests (basic/patterns/mrtr): the server's memory of a
 * request between rounds, carried by the client. The client is untrusted, so the state is signed
 * (HMAC-SHA256 with the server's secret), expires, and is bound to the method and target it was
 * minted for; anything else is refused (-32602, `data.reason: 'invalid_request_state'`).
 * Servers of one deployment share the secret, so a retry may land on any node.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, McpError } from '../../protocol/errors.js';

export interface StatePayload {
  /** method + target the state was minted for */
  b: string;
  /** responses gathered in earlier rounds, by input key */
  r: Record<string, unknown>;
  /** expiry, ms since the epoch */
  e: number;
}

export class RequestStateCodec {
  private readonly key: Buffer;

  constructor(
    secret: string | Buffer | undefined,
    /** How long a state stays valid. Default 10 minutes. */
    readonly ttlMs = 10 * 60_000,
  ) {
    this.key = secret === undefined ? randomBytes(32) : Buffer.from(secret);
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  encode(binding: string, responses: Record<string, unknown>): string {
    const body = Buffer.from(JSON.stringify({ b: binding, r: responses, e: Date.now() + this.ttlMs } satisfies StatePayload)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The responses carried by a state minted for `binding`; throws -32602 for anything forged, foreign or stale. */
  decode(state: unknown, binding: string): Record<string, unknown> {
    const fail = (why: string): never => {
      throw new McpError(ErrorCode.InvalidParams, `Invalid requestState: ${why}`, { reason: 'invalid_request_state' });
    };
    if (typeof state !== 'string' || state.length > 1_000_000) return fail('not a state this server issued');
    const dot = state.indexOf('.');
    if (dot < 0) return fail('not a state this server issued');
    const body = state.slice(0, dot);
    const given = Buffer.from(state.slice(dot + 1));
    const expected = Buffer.from(this.mac(body));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return fail('signature does not match (tampered, or issued by another server)');
    let p: StatePayload;
    try {
      p = JSON.parse(Buffer.from(body, 'base64url').toString()) as StatePayload;
    } catch {
      return fail('unreadable');
    }
    if (p.b !== binding) return fail('issued for another request');
    if (!(p.e > Date.now())) return fail('expired');
    return p.r && typeof p.r === 'object' ? p.r : {};
  }
}
