/**
 * The cache as server middleware: `server.use(cache({ server, ... }))` serves `resources/read`
 * and the opted-in read-only tools from the two-level cache, and keeps it current from the
 * server's own events — `notifyResourceUpdated(uri)` and list changes (registration, enable,
 * disable, remove) invalidate here, in L2, and on every node sharing the bus.
 */
import type { Result, ToolAnnotations } from '../../protocol/types.js';
import type { Call, McpServer, Middleware } from '../../server/index.js';
import { McpCache } from './cache.js';
import { identityOf } from './key.js';
import type { McpCacheOptions } from './options.js';

export type ServerCacheOptions = (McpCacheOptions | { cache: McpCache }) & {
  /** The server whose tools' annotations are checked and whose events invalidate entries. */
  server: McpServer;
  /** The caller a `'caller'`-scoped entry belongs to. Default: `identityOf(call.auth)`. */
  identify?: (call: Call) => string | undefined;
};

/** A middleware that also carries its cache (stats, manual invalidation, close). */
export type CacheMiddleware = Middleware & { readonly cache: McpCache };

function toolOf(server: McpServer, name: string): { known: boolean; annotations: ToolAnnotations | undefined } {
  for (const t of server.tools.values()) if (t.name === name) return { known: true, annotations: t.config.annotations };
  return { known: false, annotations: undefined };
}

/**
 * Builds the middleware. Throws an ErlmcpError naming the tool when an opted-in tool is not
 * registered or is not annotated `readOnlyHint: true` and `idempotentHint: true`.
 *
 * @example
 * server.tool('forecast', { inputSchema, annotations: { readOnlyHint: true, idempotentHint: true } }, forecast);
 * server.use(cache({ server, tools: { forecast: { ttlMs: 30_000, scope: 'shared' } }, redis: stores.connection }));
 */
export function cache(options: ServerCacheOptions): CacheMiddleware {
  const { server } = options;
  const c = 'cache' in options ? options.cache : new McpCache(options);
  for (const name of c.toolNames) {
    const t = toolOf(server, name);
    c.learnTool(name, t.annotations, { strict: true, known: t.known });
  }
  const onEvent = (method: string, params: Record<string, unknown> | undefined, remote: boolean): void => {
    if (method === 'notifications/tools/list_changed') {
      // A tool may have been removed or re-registered with other annotations: cache only what still qualifies.
      for (const name of c.toolNames) {
        const t = toolOf(server, name);
        c.learnTool(name, t.annotations, { known: t.known });
      }
    }
    void c.handleNotification(method, params, { localOnly: remote });
  };
  // Registrations made just before installing are the server's start, not a change: their
  // list_changed (flushed on a microtask queued earlier) must not flush every node's cache.
  queueMicrotask(() => server.onEvent(onEvent));
  // A cache handed in may serve others too: only one made here ends with the server.
  if (!('cache' in options)) server.onClose(() => void c.close());
  const identify = options.identify ?? ((call: Call) => identityOf(call.auth));
  const mw = (call: Call, next: () => Promise<Result>): Promise<Result> => {
    if (call.method !== 'resources/read' && call.method !== 'tools/call') return next();
    return c.fetch({ method: call.method, params: call.params, identity: identify(call), signal: call.signal }, next);
  };
  return Object.assign(mw, { cache: c });
}
