/**
 * Binds each session to the principal that made its first authenticated call
 * (basic/security_best_practices#session-hijacking: a session id must not stand in for
 * authentication). Every request is authenticated anyway; this stops a caller holding a valid
 * token of their own from acting inside someone else's session by presenting its id. Bindings
 * are per process (a bounded LRU), so behind several nodes each node binds on first sight.
 */
import { LRUCache } from 'lru-cache';
import { ErrorCode, McpError } from '../../protocol/errors.js';
import type { McpServer, Middleware } from '../../server/index.js';

/**
 * Installs the binding on `server`.
 *
 * @example
 * bindSessionsToSubject(server);
 */
export function bindSessionsToSubject(server: McpServer, options: { max?: number } = {}): Middleware {
  const owners = new LRUCache<string, string>({ max: options.max ?? 100_000 });
  const mw: Middleware = (call, next) => {
    const sid = call.session?.id;
    const who = call.auth === undefined ? undefined : `${call.auth.method ?? ''}:${call.auth.subject ?? ''}`;
    if (sid === undefined || who === undefined) return next();
    const owner = owners.get(sid);
    if (owner === undefined) owners.set(sid, who);
    else if (owner !== who) throw new McpError(ErrorCode.ServerError, 'Forbidden: this session belongs to another principal', { reason: 'session_subject_mismatch' });
    return next();
  };
  server.use(mw);
  return mw;
}
