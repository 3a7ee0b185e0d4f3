/**
 * Client requests of the 2026-07-28 era: every request carries the envelope in `_meta`
 * (basic/index §_meta), every result is read by its `resultType` (absent = complete, unknown =
 * invalid), and an `input_required` result of tools/call, prompts/get or resources/read drives
 * the multi-round-trip loop (basic/patterns/mrtr): fulfil each embedded request through the
 * app's own handlers, then re-send with a new JSON-RPC id, `inputResponses`, and `requestState`
 * echoed untouched (omitted when the server sent none). A tools/call refused with -32020
 * HeaderMismatch is most likely sent with a stale tool list (its `x-mcp-header` annotations
 * changed): the tools are listed again and the call retried once (streamable-http §Client
 * Behavior: SHOULD re-list, then retry with the appropriate headers).
 */
import type { RequestOptions } from '../engine/outbound.js';
import { ErlmcpError, McpError } from '../protocol/errors.js';
import { META, ModernErrorCode } from '../protocol/eras.js';
import type { ClientCapabilities, Implementation, LoggingLevel } from '../protocol/types.js';
import { mutualVersion } from './era.js';
import { CACHEABLE_METHODS, ResultCache } from './result-cache.js';

/** Methods that may answer `input_required` (basic/patterns/mrtr). */
export const MRTR_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** Default bound on input rounds per call; past it the call fails instead of looping. */
export const DEFAULT_MAX_INPUT_ROUNDS = 10;

/** What the modern request path needs from its Client. */
export interface ModernHost {
  request(method: string, params: Record<string, unknown>, options?: RequestOptions): Promise<Record<string, unknown>>;
  capabilities(): ClientCapabilities;
  readonly info: Implementation;
  /** Runs one embedded input request through the app's sampling/elicitation/roots handler. */
  fulfil(method: string, params: Record<string, unknown> | undefined, signal: AbortSignal | undefined): Promise<Record<string, unknown>>;
  /** Sees each tools/list page fetched on the client's behalf (the re-list after a -32020). */
  toolsListed?(result: Record<string, unknown>): void;
}

type Params = Record<string, unknown>;

export class ModernRequests {
  /** The version every request claims; a -32022 naming a mutual version moves it. */
  version: string;
  /** Sent as `_meta` logLevel: without it the server sends no log messages for a request. */
  logLevel: LoggingLevel | undefined;
  readonly cache = new ResultCache();

  constructor(
    private readonly host: ModernHost,
    version: string,
    private readonly maxRounds = DEFAULT_MAX_INPUT_ROUNDS,
  ) {
    this.version = version;
  }

  /** The request's params with the envelope added to its `_meta`. */
  withEnvelope(params: Params | undefined): Params {
    const caps = modernCapabilities(this.host.capabilities());
    const meta: Params = { ...(params?._meta as Params | undefined), [META.protocolVersion]: this.version, [META.clientCapabilities]: caps, [META.clientInfo]: this.host.info };
    if (this.logLevel !== undefined) meta[META.logLevel] = this.logLevel;
    return { ...params, _meta: meta };
  }

  /**
   * One request; a -32022 whose `supported` names a version we speak is retried once at that
   * version (basic/versioning: SHOULD pick a mutual version and retry).
   */
  async send(method: string, params: Params | undefined, options?: RequestOptions): Promise<Params> {
    try {
      return await this.host.request(method, this.withEnvelope(params), options);
    } catch (e) {
      if (!(e instanceof McpError) || e.code !== ModernErrorCode.UnsupportedProtocolVersion) throw e;
      const v = mutualVersion(e.data);
      if (v === undefined) throw e;
      this.version = v;
      return this.host.request(method, this.withEnvelope(params), options);
    }
  }

  /** A request with caching, resultType checks, the input-required loop and the -32020 re-list. */
  async call(method: string, params: Params | undefined, options?: RequestOptions): Promise<Params> {
    if (method !== 'tools/call') return this.rounds(method, params, options);
    try {
      return await this.rounds(method, params, options);
    } catch (e) {
      if (!(e instanceof McpError) || e.code !== ModernErrorCode.HeaderMismatch) throw e;
      await this.relistTools(params?.name, options);
      return this.rounds(method, params, options);
    }
  }

  /**
   * Lists the tools again past the cache, page by page until `name` is seen (the HTTP transport
   * learns each tool's annotations from the tools/list responses it carries). A cursor seen
   * twice ends it: a server cycling its cursors cannot keep the client listing.
   */
  private async relistTools(name: unknown, options: RequestOptions | undefined): Promise<void> {
    this.cache.invalidate('notifications/tools/list_changed');
    const cursors = new Set<string>();
    let cursor: string | undefined;
    for (;;) {
      const params = cursor === undefined ? undefined : { cursor };
      const r = await this.send('tools/list', params, options);
      this.cache.put('tools/list', params, r);
      this.host.toolsListed?.(r);
      const tools = Array.isArray(r.tools) ? (r.tools as { name?: unknown }[]) : [];
      const next = r.nextCursor;
      if (tools.some((t) => t?.name === name) || typeof next !== 'string' || cursors.has(next)) return;
      cursors.add(next);
      cursor = next;
    }
  }

  private async rounds(method: string, params: Params | undefined, options?: RequestOptions): Promise<Params> {
    const cacheable = CACHEABLE_METHODS.has(method);
    if (cacheable) {
      const hit = this.cache.get(method, params);
      if (hit) return hit;
    }
    let p = params;
    for (let round = 0; ; round++) {
      const r = await this.send(method, p, options);
      const type = r.resultType;
      // basic/index §ResultType: absent means complete (earlier servers); never retried.
      if (type === undefined || type === 'complete') {
        // Results of retries carrying inputResponses/requestState are never cached (caching).
        if (cacheable && round === 0) this.cache.put(method, params, r);
        return r;
      }
      if (type !== 'input_required') throw new ErlmcpError('ERR_INVALID_RESULT', `${method}: unknown resultType ${JSON.stringify(type)}`);
      if (!MRTR_METHODS.has(method)) throw new ErlmcpError('ERR_INVALID_RESULT', `${method} may not answer input_required (basic/patterns/mrtr)`);
      if (round + 1 >= this.maxRounds) throw new ErlmcpError('ERR_INVALID_RESULT', `${method}: still input_required after ${this.maxRounds} rounds`);
      const next: Params = { ...params };
      const asks = r.inputRequests;
      if (asks !== undefined) next.inputResponses = await this.fulfilAll(asks, options?.signal);
      // Byte-exact: the opaque string is passed back as received, never parsed.
      if (typeof r.requestState === 'string') next.requestState = r.requestState;
      p = next;
    }
  }

  private async fulfilAll(asks: unknown, signal: AbortSignal | undefined): Promise<Params> {
    if (typeof asks !== 'object' || asks === null || Array.isArray(asks)) throw new ErlmcpError('ERR_INVALID_RESULT', 'inputRequests must be an object');
    const entries = Object.entries(asks as Record<string, { method?: unknown; params?: Params }>);
    const results = await Promise.all(
      entries.map(async ([key, ask]) => {
        if (typeof ask?.method !== 'string') throw new ErlmcpError('ERR_INVALID_RESULT', `inputRequests.${key} has no method`);
        const result = await this.host.fulfil(ask.method, ask.params, signal);
        // Input responses are plain results: no resultType, no _meta (schema InputResponses).
        const { _meta: _m, ...plain } = result;
        return [key, plain] as const;
      }),
    );
    return Object.fromEntries(results);
  }
}

/** Capabilities as the 2026-07-28 schema shapes them: `roots` is `{}` (listChanged was removed). */
function modernCapabilities(caps: ClientCapabilities): ClientCapabilities {
  if (!caps.roots) return caps;
  return { ...caps, roots: {} };
}
