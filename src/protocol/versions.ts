/**
 * Protocol revisions we speak, newest first (basic/lifecycle#version-negotiation).
 */
export const LATEST_PROTOCOL_VERSION = '2025-11-25';
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
/**
 * The version a Streamable HTTP server assumes when a request carries no
 * MCP-Protocol-Version header (basic/transports#protocol-version-header).
 */
export const DEFAULT_NEGOTIATED_PROTOCOL_VERSION = '2025-03-26';

const supported = new Set(SUPPORTED_PROTOCOL_VERSIONS);

export function isSupportedVersion(version: string): boolean {
  return supported.has(version);
}

/**
 * The server answers with the client's requested version when it supports it, otherwise with
 * its own latest; the client then decides whether it can proceed.
 */
export function negotiateVersion(requested: unknown): string {
  return typeof requested === 'string' && supported.has(requested) ? requested : LATEST_PROTOCOL_VERSION;
}

/** JSON-RPC batches were added in 2025-03-26 and removed again in 2025-06-18. */
export function versionAllowsBatch(version: string | undefined): boolean {
  return version === '2025-03-26';
}
