/**
 * The cache in front of an upstream server, for a gateway or any client: a client middleware
 * (`client.use`) that answers `resources/read` and the opted-in read-only `tools/call` requests
 * from the two-level cache, honours the upstream's 2026-07-28 cache hints (`ttlMs` bounds an
 * entry's life, `cacheScope: 'private'` keeps it to one caller — server/utilities/caching), and
 * invalidates on the upstream's `notifications/resources/updated` and `…/list_changed`.
 * The annotations that allow a tool to be cached are the upstream's, read from `tools/list`.
 */
import type { Client, ClientCall, ClientMiddleware } from '../../client/index.js';
import { toError } from '../../protocol/errors.js';
import type { Result, Tool } from '../../protocol/types.js';
import { McpCache } from './cache.js';
import type { McpCacheOptions } from './options.js';

export type ClientCacheOptions = (McpCacheOptions | { cache: McpCache }) & {
  /**
   * The caller a request is made for (a gateway serving many callers through one client knows it,
   * e.g. from an AsyncLocalStorage it sets around the forwarded call). Default: none — every
   * request of this client is one caller's.
   */
  identify?: (call: ClientCall) => string | undefined;
};

/**
 * Installs the cache on `client` (connected): lists the upstream's tools to check the opted-in
 * ones, then caches through `client.use`. Rejects with an ErlmcpError naming a tool that the
 * upstream does not have or does not annotate `readOnlyHint: true` + `idempotentHint: true`.
 *
 * @example
 * const upstream = new Client({ name: 'gateway', version: '1.0.0' });
 * await upstream.connect(new StdioClientTransport({ command: 'node', args: ['server.js'] }));
 * const cache = await cacheClient(upstream, { tools: { search: { scope: 'shared' } }, redis: stores.connection });
 * await upstream.readResource('file:///a'); // upstream; the next read is a hit
 */
export async function cacheClient(client: Client, options: ClientCacheOptions): Promise<McpCache> {
  const c = 'cache' in options ? options.cache : new McpCache(options);
  const identify = options.identify;
  const learn = (tools: unknown): void => {
    if (!Array.isArray(tools)) return;
    for (const t of tools as Tool[]) if (typeof t?.name === 'string') c.learnTool(t.name, t.annotations);
  };
  const mw: ClientMiddleware = (call, next) => {
    if (call.direction !== 'outbound') return next();
    if (call.method === 'tools/list') {
      return next().then((r: Result) => {
        learn(r.tools);
        return r;
      });
    }
    if (call.method !== 'resources/read' && call.method !== 'tools/call') return next();
    return c.fetch({ method: call.method, params: call.params, identity: identify?.(call) }, next);
  };
  client.use(mw);
  const tools = c.toolNames.length > 0 ? await client.listAllTools() : [];
  for (const name of c.toolNames) {
    const t = tools.find((x) => x.name === name);
    c.learnTool(name, t?.annotations, { strict: true, known: t !== undefined });
  }
  const previous = client.onnotification;
  // Notifications reach `previous` in the order they came, each once its invalidation is done
  // here (L1 dropped, L2 epoch bumped, the bus told): whoever it tells next — a gateway's
  // clients — then reads the new content through this node, never the entry just dropped.
  let order: Promise<unknown> = Promise.resolve();
  client.onnotification = (method, params) => {
    const invalidated = c.handleNotification(method, params);
    // New tool definitions may change which tools qualify: read them again.
    // (A failure leaves the annotations last seen; the tools class was dropped above either way.)
    if (method === 'notifications/tools/list_changed' && c.toolNames.length > 0) client.listAllTools().catch(() => {});
    if (previous) order = Promise.all([order, invalidated]).then(() => previous(method, params)).catch((e: unknown) => client.onerror?.(toError(e)));
  };
  return c;
}
