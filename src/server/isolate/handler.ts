/**
 * The hook between the tool registry and the pool: an isolated tool's handler is a small
 * function that hands the validated arguments to its server's worker pool.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErlmcpError } from '../../protocol/errors.js';
import type { CallToolResult } from '../../protocol/types.js';
import type { HandlerContext } from '../context.js';
import type { McpServer } from '../server.js';
import { WorkerPool } from './pool.js';
import type { IsolateConfig } from './types.js';

/** The server's pool, made on the first isolated call from `ServerOptions.isolation`. */
export function poolFor(server: McpServer): WorkerPool {
  return (server.isolatePool ??= new WorkerPool(server.options.isolation));
}

/** `module` as the URL a worker can `import()`: file URLs and absolute paths are accepted. */
export function moduleHref(tool: string, module: URL | string): string {
  if (module instanceof URL) return module.href;
  if (isAbsolute(module)) return pathToFileURL(module).href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module)) return new URL(module).href;
  throw new ErlmcpError('ERR_INVALID_ARGUMENT', `Tool ${tool}: isolate.module must be a URL or an absolute path (use new URL('./x.js', import.meta.url)), got ${JSON.stringify(module)}`);
}

/**
 * The handler registered for a tool whose config has `isolate` (and no handler of its own).
 * It throws at registration when both or neither are given.
 */
export function resolveHandler(name: string, isolate: IsolateConfig | undefined, handler: unknown): (args: Record<string, unknown>, ctx: HandlerContext) => Promise<CallToolResult> {
  if (!isolate) {
    if (typeof handler === 'function') return handler as never;
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', `Tool ${name} needs a handler or config.isolate`);
  }
  if (handler !== undefined) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `Tool ${name}: give either a handler or config.isolate, not both`);
  const href = moduleHref(name, isolate.module);
  const exportName = isolate.export ?? 'default';
  return (args, ctx) => poolFor(ctx.session.server).run(name, href, exportName, args, ctx);
}
