/**
 * Where `erlmcp start` gets its McpServer: the module named by `--module`, or the everything
 * example when there is none. Every worker (service.ts) loads it itself, so each gets its own
 * instance — `createServer()`, a default factory, or a default McpServer instance.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErlmcpError } from '../protocol/errors.js';
import type { McpServer } from '../server/index.js';
import { indent, importUserFile, firstUserFrame, userStack } from './module-loader.js';
import { CliError, EXIT_FAILURE } from './errors.js';

/** Structural check: a user module may import McpServer from another copy of erlmcp, so no instanceof. */
function isMcpServer(x: unknown): x is McpServer {
  const o = x as { connect?: unknown; close?: unknown; tool?: unknown } | null;
  return typeof o === 'object' && o !== null && typeof o.connect === 'function' && typeof o.close === 'function' && typeof o.tool === 'function';
}

/** `--module` as an absolute file path (relative paths are taken from `cwd`); a missing file is a usage error. */
export function resolveModulePath(spec: string, cwd = process.cwd()): string {
  const path = spec.startsWith('file:') ? fileURLToPath(spec) : resolve(cwd, spec);
  if (!existsSync(path)) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `--module ${spec}: no such file (${path})`);
  return path;
}

/** Builds the server: from the module at `modulePath` (createServer(), default factory or default instance), else the everything example. */
export async function loadServer(modulePath?: string): Promise<McpServer> {
  if (modulePath === undefined) {
    // Loaded lazily: a `--module` user never needs the example (nor its zod dependency).
    const { createEverythingServer } = await import('../../examples/everything/server.js');
    return createEverythingServer();
  }
  const path = resolveModulePath(modulePath);
  const mod = await importUserFile(path, 'module');
  const candidate = typeof mod.createServer === 'function' ? mod.createServer : mod.default;
  if (isMcpServer(candidate)) return candidate;
  if (typeof candidate !== 'function') {
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', `--module ${modulePath} exports neither createServer() nor a default McpServer (or a default function returning one)`);
  }
  let server: unknown;
  try {
    server = await (candidate as () => unknown)();
  } catch (e) {
    // e.g. a duplicate tool name or a bad schema: McpServer names the tool, the frame shows the call.
    const err = e instanceof Error ? e : new Error(String(e));
    const frame = firstUserFrame(err.stack ?? '');
    const at = frame ? ` (${frame.file}:${frame.line}:${frame.column})` : '';
    throw new CliError(`in your module ${path}: its server factory threw${at}: ${err.message}\n${indent(userStack(err.stack ?? err.message))}`, EXIT_FAILURE, { cause: err });
  }
  if (!isMcpServer(server)) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `--module ${modulePath}: its factory returned ${server === null ? 'null' : typeof server}, not an McpServer`);
  return server;
}
