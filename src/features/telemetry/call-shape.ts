/**
 * What the server span and the duration metric of a call share with every other call of the
 * same method, target, protocol version and carrier: the span name, the attributes given at span
 * creation, and the metric attribute set. Built once per distinct shape and reused, so the hot
 * path of a traced request allocates no attribute objects of its own, and an unsampled request
 * (`!span.isRecording()`) does no attribute work at all beyond this lookup.
 */
import type { Attributes } from '@opentelemetry/api';
import type { Call } from '../../server/middleware.js';
import { ATTR, networkProtocol, networkTransport, spanName } from './conventions.js';

export interface CallShape {
  readonly spanName: string;
  /** Attributes a sampler may look at (method, tool or prompt): given at span creation. */
  readonly initial: Attributes;
  /** The metric attribute set (bounded: tool and prompt names are labels, never URIs or ids). */
  readonly metric: Attributes;
  readonly net: string | undefined;
  readonly proto: string | undefined;
}

/** Entries beyond this many are built per call (a client inventing tool names cannot grow a cache). */
const MAX_ENTRIES = 4096;

/** Builds the entry of one shape: `name` is the tool or prompt name (tools/call, prompts/get only). */
export type ShapeBuilder<T> = (method: string, name: string | undefined, version: string | undefined, kind: string | undefined) => T;

/** Entries of one protocol version and carrier, by method, then by tool or prompt name. */
interface Profile<T> {
  readonly byMethod: Map<string, T>;
  readonly byName: Map<string, Map<string, T>>;
}

/**
 * One entry per call shape (method, tool or prompt name, protocol version, carrier kind), built
 * on first sight: lookups by nested Maps keyed on strings the call already holds, so the hot path
 * builds no key string.
 */
export class ShapeCache<T> {
  /** version ('' when none) → carrier kind ('' when none) → profile. */
  private readonly profiles = new Map<string, Map<string, Profile<T>>>();
  private count = 0;

  constructor(private readonly build: ShapeBuilder<T>) {}

  of(method: string, params: Record<string, unknown> | undefined, version: string | undefined, kind: string | undefined): T {
    let kinds = this.profiles.get(version ?? '');
    if (kinds === undefined) this.profiles.set(version ?? '', (kinds = new Map()));
    let p = kinds.get(kind ?? '');
    if (p === undefined) kinds.set(kind ?? '', (p = { byMethod: new Map(), byName: new Map() }));
    const name = params?.name;
    if (typeof name !== 'string' || (method !== 'tools/call' && method !== 'prompts/get')) {
      let entry = p.byMethod.get(method);
      if (entry === undefined) {
        entry = this.build(method, undefined, version, kind);
        if (this.count < MAX_ENTRIES) {
          this.count++;
          p.byMethod.set(method, entry);
        }
      }
      return entry;
    }
    let names = p.byName.get(method);
    if (names === undefined) p.byName.set(method, (names = new Map()));
    let entry = names.get(name);
    if (entry === undefined) {
      entry = this.build(method, name, version, kind);
      if (this.count < MAX_ENTRIES) {
        this.count++;
        names.set(name, entry);
      }
    }
    return entry;
  }
}

/** The cache of span and metric shapes; `toolLabel` bounds a tool or prompt name used as a metric attribute. */
export function callShapes(toolLabel: (name: string) => string): ShapeCache<CallShape> {
  return new ShapeCache((method, name, version, kind) => {
    const net = networkTransport(kind);
    const initial: Attributes = { [ATTR.METHOD]: method };
    const metric: Attributes = { [ATTR.METHOD]: method };
    if (version !== undefined) metric[ATTR.PROTOCOL_VERSION] = version;
    if (net !== undefined) metric[ATTR.NETWORK_TRANSPORT] = net;
    if (name !== undefined && method === 'tools/call') {
      initial[ATTR.TOOL_NAME] = name;
      initial[ATTR.OPERATION_NAME] = 'execute_tool';
      metric[ATTR.TOOL_NAME] = toolLabel(name);
    } else if (name !== undefined) {
      initial[ATTR.PROMPT_NAME] = name;
      metric[ATTR.PROMPT_NAME] = toolLabel(name);
    }
    return { spanName: spanName(method, name === undefined ? undefined : { name }), initial, metric, net, proto: networkProtocol(kind) };
  });
}

/** The per-request span attributes (ids, session, carrier, resource URI): only for a span that records. */
export function requestAttributes(call: Call, shape: CallShape): Attributes {
  const attrs: Attributes = { [ATTR.REQUEST_ID]: String(call.id) };
  const session = call.session;
  if (session?.id !== undefined) attrs[ATTR.SESSION_ID] = session.id;
  if (session?.protocolVersion !== undefined) attrs[ATTR.PROTOCOL_VERSION] = session.protocolVersion;
  if (shape.net !== undefined) attrs[ATTR.NETWORK_TRANSPORT] = shape.net;
  if (shape.proto !== undefined) attrs[ATTR.NETWORK_PROTOCOL_NAME] = shape.proto;
  if (call.remoteAddress !== undefined) attrs[ATTR.CLIENT_ADDRESS] = call.remoteAddress;
  // Span only: a URI is unbounded, never a metric attribute.
  if (call.method.startsWith('resources/') && typeof call.params?.uri === 'string') attrs[ATTR.RESOURCE_URI] = call.params.uri;
  return attrs;
}
