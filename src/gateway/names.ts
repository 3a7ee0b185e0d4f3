/**
 * Names and URIs across upstreams. Tools and prompts get a namespace: `<prefix><separator>`,
 * by default `<upstream>__` (so `fs__read_file`). Resource URIs of a `prefix` upstream become
 * `mcp-gw://<upstream>/<original uri>` — unique whatever the upstreams list, reversible, and a
 * URI template stays a template (the prefix is a literal); a `passthrough` upstream's URIs are
 * left as they are (`file:///…` stays meaningful to the client) and reads try those upstreams.
 * Cursors of gateway lists encode the upstream and that upstream's own cursor.
 */
import { ErrorCode, McpError } from '../protocol/errors.js';

export const GATEWAY_SCHEME = 'mcp-gw:';
const GATEWAY_PREFIX = `${GATEWAY_SCHEME}//`;

export interface Namespace {
  upstream: string;
  /** `<prefix><separator>`, or '' for an upstream with an empty prefix. */
  ns: string;
  resources: 'prefix' | 'passthrough';
}

export class Names {
  /** Longest namespace first, so `a__b__` wins over `a__` and '' comes last. */
  private readonly byLength: Namespace[];
  private readonly byUpstream = new Map<string, Namespace>();

  constructor(namespaces: Namespace[]) {
    this.byLength = [...namespaces].sort((a, b) => b.ns.length - a.ns.length);
    for (const n of namespaces) this.byUpstream.set(n.upstream, n);
  }

  of(upstream: string): Namespace {
    return this.byUpstream.get(upstream)!;
  }

  /** `fs__read_file` → `{ upstream: 'fs', name: 'read_file' }`, or undefined when no namespace fits. */
  split(name: string): { upstream: string; name: string } | undefined {
    for (const n of this.byLength) if (name.startsWith(n.ns) && name.length > n.ns.length) return { upstream: n.upstream, name: name.slice(n.ns.length) };
    return undefined;
  }

  name(upstream: string, name: string): string {
    return this.of(upstream).ns + name;
  }

  /** An upstream's URI (or URI template) as the gateway's clients see it. */
  uri(upstream: string, uri: string): string {
    return this.of(upstream).resources === 'prefix' ? `${GATEWAY_PREFIX}${upstream}/${uri}` : uri;
  }

  /** A gateway URI → its upstream and original URI; a URI outside the gateway scheme → undefined (a passthrough one). */
  splitUri(uri: string): { upstream: string; uri: string } | undefined {
    if (!uri.startsWith(GATEWAY_PREFIX)) return undefined;
    const rest = uri.slice(GATEWAY_PREFIX.length);
    const slash = rest.indexOf('/');
    const upstream = slash < 0 ? '' : rest.slice(0, slash);
    if (!this.byUpstream.has(upstream) || this.of(upstream).resources !== 'prefix') throw new McpError(ErrorCode.ResourceNotFound, `Resource not found: ${uri}`, { uri });
    return { upstream, uri: rest.slice(slash + 1) };
  }

  /** Upstreams whose URIs are left as-is, in config order. */
  passthrough(): string[] {
    return [...this.byUpstream.values()].filter((n) => n.resources === 'passthrough').map((n) => n.upstream);
  }

  /** Rewrites the URIs inside content blocks (resource links, embedded resources) an upstream returned. */
  content<T>(upstream: string, blocks: T): T {
    if (!Array.isArray(blocks) || this.of(upstream).resources !== 'prefix') return blocks;
    // Most results carry no URI (text, images): the same array back, nothing copied.
    let out: unknown[] | undefined;
    for (let i = 0; i < blocks.length; i++) {
      const b: unknown = blocks[i];
      const r = this.block(upstream, b);
      if (r !== b) (out ??= blocks.slice())[i] = r;
    }
    return (out ?? blocks) as T;
  }

  private block(upstream: string, b: unknown): unknown {
    if (b === null || typeof b !== 'object') return b;
    const o = b as Record<string, unknown>;
    if (o.type === 'resource_link' && typeof o.uri === 'string') return { ...o, uri: this.uri(upstream, o.uri) };
    if (o.type === 'resource' && o.resource && typeof (o.resource as Record<string, unknown>).uri === 'string') {
      const r = o.resource as Record<string, unknown>;
      return { ...o, resource: { ...r, uri: this.uri(upstream, r.uri as string) } };
    }
    return b;
  }
}

/** A gateway list cursor: which upstream to ask next, and with which of its cursors. */
export interface GatewayCursor {
  upstream: string;
  cursor?: string;
}

export function encodeCursor(c: GatewayCursor): string {
  return Buffer.from(JSON.stringify(c.cursor === undefined ? [c.upstream] : [c.upstream, c.cursor])).toString('base64url');
}

/** server/utilities/pagination: a cursor the gateway did not mint is -32602. */
export function decodeCursor(cursor: unknown): GatewayCursor | undefined {
  if (cursor === undefined) return undefined;
  if (typeof cursor === 'string') {
    try {
      const v = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
      if (Array.isArray(v) && typeof v[0] === 'string' && (v.length === 1 || (v.length === 2 && typeof v[1] === 'string'))) {
        return v.length === 1 ? { upstream: v[0] } : { upstream: v[0], cursor: v[1] as string };
      }
    } catch {
      // fall through: not ours
    }
  }
  throw new McpError(ErrorCode.InvalidParams, 'Invalid or expired cursor');
}
