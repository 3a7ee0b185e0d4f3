/**
 * Which calls a pool may send twice. Re-sending is only harmless when the request has no
 * side effect the server could apply twice: reads and lists, and tools the server itself
 * annotates as read-only and idempotent (server/tools#tool-annotations: readOnlyHint,
 * idempotentHint). Annotations are hints from the server; a pool trusts them only for the
 * decision to retry a failed call, never for anything security-related.
 */
import type { Tool } from '../../protocol/types.js';

const SAFE_METHODS = new Set([
  'ping',
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'server/discover',
]);

/** Tool name → safe to repeat, learned from tools/list results that passed through. */
export class ToolSafety {
  private readonly safe = new Map<string, boolean>();

  learn(tools: readonly Tool[] | undefined): void {
    for (const t of tools ?? []) this.safe.set(t.name, t.annotations?.readOnlyHint === true && t.annotations?.idempotentHint === true);
  }

  /** Whether `method` with `params` may be sent again after a failure. */
  isSafe(method: string, params: Record<string, unknown> | undefined): boolean {
    if (SAFE_METHODS.has(method)) return true;
    if (method === 'tools/call') return this.safe.get(String(params?.name)) === true;
    return false;
  }
}
