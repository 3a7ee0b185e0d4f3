/**
 * The two eras of the protocol (2026-07-28 basic/versioning): "legacy" revisions (2025-11-25 and
 * older) negotiate once with `initialize` and keep a session; "modern" revisions (2026-07-28 on)
 * are stateless — every request carries its version and the client's capabilities in `_meta`.
 * The lists are kept apart so a modern version never leaks into an `initialize` answer.
 */
import { ErrorCode, McpError } from './errors.js';

export const MODERN_PROTOCOL_VERSIONS: readonly string[] = ['2026-07-28'];
export const LATEST_MODERN_PROTOCOL_VERSION = '2026-07-28';

/** Reserved `_meta` keys of the modern envelope (basic/index#_meta). */
export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

/** Error codes the 2026-07-28 schema defines (basic/index §Error Codes). */
export const ModernErrorCode = {
  HeaderMismatch: -32020,
  MissingRequiredClientCapability: -32021,
  UnsupportedProtocolVersion: -32022,
} as const;

/** The SDKs' era predicate: versions are ISO dates, so string order is time order. */
export function isModernVersion(version: string): boolean {
  return version >= LATEST_MODERN_PROTOCOL_VERSION;
}

export function isSupportedModernVersion(version: string): boolean {
  return MODERN_PROTOCOL_VERSIONS.includes(version);
}

/** Whether a request's params carry a modern claim: a `_meta` protocolVersion key (the only era signal). */
export function hasModernClaim(params: unknown): boolean {
  const meta = (params as { _meta?: unknown } | undefined)?._meta;
  return typeof meta === 'object' && meta !== null && META.protocolVersion in meta;
}

/** -32022 with the versions we serve (basic/versioning). */
export function unsupportedVersion(requested: unknown): McpError {
  return new McpError(ModernErrorCode.UnsupportedProtocolVersion, `Unsupported protocol version ${JSON.stringify(requested)}`, {
    supported: [...MODERN_PROTOCOL_VERSIONS],
    requested,
  });
}

/** -32021: the request needs a client capability it did not declare. */
export function missingCapability(requiredCapabilities: Record<string, unknown>, what: string): McpError {
  return new McpError(ModernErrorCode.MissingRequiredClientCapability, `${what} needs a client capability this request did not declare`, { requiredCapabilities });
}

/** -32020: a header disagrees with the body (basic/transports/streamable-http). */
export function headerMismatch(message: string): McpError {
  return new McpError(ModernErrorCode.HeaderMismatch, message);
}

/** -32602 for a malformed envelope. */
export function badEnvelope(message: string): McpError {
  return new McpError(ErrorCode.InvalidParams, message);
}

const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/**
 * The version a well-formed request envelope claims. -32602 when the envelope is malformed
 * (basic/index §_meta: protocolVersion and clientCapabilities are required; logLevel must be a
 * level), checked before the version itself is (basic/versioning).
 */
export function envelopeVersion(params: unknown): string {
  const meta = (params as { _meta?: unknown } | undefined)?._meta;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw badEnvelope('params._meta is required (the 2026-07-28 request envelope)');
  const m = meta as Record<string, unknown>;
  const version = m[META.protocolVersion];
  if (typeof version !== 'string') throw badEnvelope(`_meta["${META.protocolVersion}"] must be a string`);
  const caps = m[META.clientCapabilities];
  if (typeof caps !== 'object' || caps === null || Array.isArray(caps)) throw badEnvelope(`_meta["${META.clientCapabilities}"] must be an object`);
  const level = m[META.logLevel];
  if (level !== undefined && !LEVELS.includes(level as string)) throw badEnvelope(`_meta["${META.logLevel}"] must be a logging level`);
  return version;
}
