/**
 * Which era a server speaks, as a client finds out (2026-07-28 basic/versioning §Backward
 * Compatibility): probe with `server/discover`; a DiscoverResult or a recognised modern error
 * means modern, anything else means legacy — never keyed to one error code. The verdict belongs
 * to the server, so it is cached per HTTP origin or per transport instance.
 */
import { ErlmcpError, McpError } from '../protocol/errors.js';
import { isModernVersion, ModernErrorCode, MODERN_PROTOCOL_VERSIONS } from '../protocol/eras.js';
import type { Transport } from '../protocol/transport.js';

/**
 * How a client picks the protocol era.
 * - `'legacy'` (default): `initialize` as before, byte for byte.
 * - `'auto'`: probe with `server/discover`, fall back to `initialize`.
 * - `{ pin: '2026-07-28' }`: modern only, no fallback.
 */
export type VersionNegotiation = 'legacy' | 'auto' | { pin: string };

export type ProbeVerdict = { kind: 'modern'; discover: Record<string, unknown>; version: string } | { kind: 'legacy' } | { kind: 'retry'; version: string } | { kind: 'error'; error: Error };

/** A mutual modern version from a -32022's `data.supported`, preferring the newest. */
export function mutualVersion(data: unknown, offered: readonly string[] = MODERN_PROTOCOL_VERSIONS): string | undefined {
  const supported = (data as { supported?: unknown } | undefined)?.supported;
  if (!Array.isArray(supported)) return undefined;
  return [...offered].sort().reverse().find((v) => supported.includes(v));
}

/**
 * Classifies one probe outcome (a DiscoverResult or the error it failed with). Pure: the caller
 * acts on the verdict. `corrected` says whether this probe already was the one corrective retry.
 */
export function classifyProbe(outcome: { result: Record<string, unknown> } | { error: unknown }, version: string, corrected: boolean, stream = true): ProbeVerdict {
  if ('result' in outcome) {
    const r = outcome.result;
    const versions = Array.isArray(r.supportedVersions) ? (r.supportedVersions as unknown[]) : [];
    if (versions.includes(version)) return { kind: 'modern', discover: r, version };
    const other = mutualVersion({ supported: versions });
    if (other !== undefined && !corrected) return { kind: 'retry', version: other };
    return { kind: 'legacy' };
  }
  const e = outcome.error;
  if (e instanceof McpError) {
    if (e.code !== ModernErrorCode.UnsupportedProtocolVersion) return { kind: 'legacy' };
    const supported = (e.data as { supported?: unknown } | undefined)?.supported;
    if (!Array.isArray(supported)) return { kind: 'legacy' };
    const mutual = mutualVersion(e.data);
    // A -32022 naming a version we speak: retry once at it, even if it is the one just sent.
    if (mutual !== undefined) return corrected ? { kind: 'error', error: new ErlmcpError('ERR_PROTOCOL_VERSION', `Server rejected protocol version ${version} twice`) } : { kind: 'retry', version: mutual };
    if (supported.some((v) => typeof v === 'string' && isModernVersion(v))) {
      return { kind: 'error', error: new ErlmcpError('ERR_PROTOCOL_VERSION', `Server supports only ${JSON.stringify(supported)}`) };
    }
    return { kind: 'legacy' };
  }
  const status = (e as { status?: unknown } | null)?.status;
  if (typeof status === 'number') {
    // Authorization and server failures are never evidence of an era.
    if (status === 401 || status === 403 || status >= 500) return { kind: 'error', error: e as Error };
    return { kind: 'legacy' }; // a 4xx whose body is no JSON-RPC error (that came in-band, above)
  }
  const code = (e as { code?: unknown } | null)?.code;
  // On a stream transport a server that ignores the probe times out: legacy (basic/transports/stdio).
  // Over HTTP every request is answered, so a timeout says nothing about the era.
  if (code === 'ERR_TIMEOUT' && stream) return { kind: 'legacy' };
  return { kind: 'error', error: e instanceof Error ? e : new Error(String(e)) };
}

type Cached = { kind: 'modern'; discover: Record<string, unknown>; version: string } | { kind: 'legacy' };
const byOrigin = new Map<string, Cached>();
const byTransport = new WeakMap<Transport, Cached>();

/** @internal */
export function originOf(t: Transport): string | undefined {
  const o = (t as { origin?: unknown }).origin;
  return typeof o === 'string' ? o : undefined;
}

/** The era verdict cache: per origin for HTTP transports, per transport instance otherwise. */
export const eraVerdicts = {
  get(t: Transport): Cached | undefined {
    const o = originOf(t);
    return o !== undefined ? byOrigin.get(o) : byTransport.get(t);
  },
  set(t: Transport, v: Cached): void {
    const o = originOf(t);
    if (o !== undefined) byOrigin.set(o, v);
    else byTransport.set(t, v);
  },
  /** Forgets a verdict (e.g. after the server changed): the next connect probes again. */
  clear(t?: Transport): void {
    if (t === undefined) byOrigin.clear();
    else {
      const o = originOf(t);
      if (o !== undefined) byOrigin.delete(o);
      else byTransport.delete(t);
    }
  },
};
