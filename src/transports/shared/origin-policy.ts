/**
 * Host and Origin checks for every HTTP-based transport (basic/transports#security-warning:
 * servers MUST validate the Origin header; a local server SHOULD also resist DNS rebinding).
 *
 * - Origin: checked on every bind. A request without Origin (a non-browser client) passes; one
 *   whose Origin is not allowed gets 403. Allowed: the loopback origins when the server is bound
 *   to loopback (or mounted, bind unknown), plus `allowedOrigins` (`'*'` allows any).
 * - Host: on a loopback bind only loopback names pass, plus `allowedHosts` (a rebound name still
 *   sends the attacker's host name). Elsewhere Host is checked only against `allowedHosts`, when given.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { header, sendError } from './http.js';
import { hostAllowed, originAllowed } from './origin.js';

export class OriginPolicy {
  private readonly anyOrigin: boolean;
  private readonly origins: readonly string[] | undefined;

  constructor(
    /** Check Host against loopback names (DNS rebinding protection). */
    private readonly checkHost: boolean,
    /** The loopback origins are allowed (loopback bind, or unknown). */
    private readonly loopbackOrigins: boolean,
    private readonly allowedHosts: readonly string[] | undefined,
    allowedOrigins: readonly string[] | undefined,
  ) {
    this.anyOrigin = allowedOrigins?.includes('*') ?? false;
    this.origins = allowedOrigins?.filter((o) => o !== '*');
  }

  /** Whether the Host and Origin of `req` are acceptable. */
  allows(req: IncomingMessage): 'ok' | 'host' | 'origin' {
    if ((this.checkHost || this.allowedHosts) && !hostAllowed(header(req, 'host'), true, this.allowedHosts as string[] | undefined)) return 'host';
    if (!this.anyOrigin && !originAllowed(header(req, 'origin'), this.loopbackOrigins, this.origins as string[] | undefined)) return 'origin';
    return 'ok';
  }

  /** Answers 403 and returns false on a foreign Host or Origin. */
  check(req: IncomingMessage, res: ServerResponse): boolean {
    const verdict = this.allows(req);
    if (verdict === 'ok') return true;
    sendError(res, 403, verdict === 'host' ? 'Forbidden: invalid Host header' : 'Forbidden: invalid Origin header');
    return false;
  }
}
