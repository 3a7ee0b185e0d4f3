/**
 * The 2026-07-28 side of the Streamable HTTP client transport: each modern request's fetch
 * (closing it is the cancellation: the revision posts no notifications/cancelled over HTTP),
 * the headers derived from its body, and the SEP-2243 x-mcp-header annotations learned from
 * tools/list.
 */
import { ErlmcpError } from '../../protocol/errors.js';
import type { RequestId } from '../../protocol/types.js';
import { paramHeadersOf, paramHeaderValues, standardHeaders, type ParamHeader } from './modern-headers.js';

export class ModernRequests {
  /** The fetch of each modern request in flight. */
  private readonly inflight = new Map<RequestId, AbortController>();
  /** Modern tools/list requests whose results get the x-mcp-header check. */
  private readonly toolLists = new Set<RequestId>();
  /** SEP-2243: tool name → its annotated arguments, learned from tools/list. */
  private readonly toolHeaders = new Map<string, ParamHeader[]>();

  constructor(private readonly report: (e: Error) => void) {}

  begin(id: RequestId, method: string, controller: AbortController): void {
    this.inflight.set(id, controller);
    if (method === 'tools/list') this.toolLists.add(id);
  }

  /** Cancels a modern request by closing its fetch; false when `id` is none in flight. */
  cancel(id: RequestId): boolean {
    const c = this.inflight.get(id);
    if (!c) return false;
    this.inflight.delete(id);
    c.abort();
    return true;
  }

  forget(id: RequestId): void {
    this.inflight.delete(id);
    this.toolLists.delete(id);
  }

  /** Headers of a modern request: derived from its body; no session id (2026-07-28). */
  headers(message: { method: string; params?: Record<string, unknown> }, version: string, extra: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { ...extra, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    delete h['mcp-session-id'];
    Object.assign(h, standardHeaders(message, version));
    if (message.method === 'tools/call') {
      const annotations = this.toolHeaders.get(String(message.params?.name));
      if (annotations) Object.assign(h, paramHeaderValues(annotations, message.params?.arguments));
    }
    return h;
  }

  /**
   * SEP-2243, HTTP only: a tool whose x-mcp-header annotations are invalid MUST be dropped from
   * tools/list; the valid ones are remembered so tools/call can mirror its arguments.
   */
  filterTools(value: unknown): unknown {
    const r = value as { id?: RequestId; result?: { tools?: unknown } } | null;
    if (!r || typeof r !== 'object' || r.id === undefined || !this.toolLists.has(r.id)) return value;
    const tools = r.result?.tools;
    if (!Array.isArray(tools)) return value;
    const kept: unknown[] = [];
    for (const t of tools as { name?: unknown; inputSchema?: unknown }[]) {
      const annotations = paramHeadersOf(t?.inputSchema);
      if (annotations === undefined) {
        this.report(new ErlmcpError('ERR_INVALID_RESULT', `Dropped tool ${JSON.stringify(t?.name)}: invalid x-mcp-header annotation (SEP-2243)`));
        continue;
      }
      if (typeof t.name === 'string') {
        if (annotations.length) this.toolHeaders.set(t.name, annotations);
        else this.toolHeaders.delete(t.name);
      }
      kept.push(t);
    }
    return kept.length === tools.length ? value : { ...r, result: { ...r.result, tools: kept } };
  }
}
