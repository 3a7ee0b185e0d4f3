/**
 * Names of POST streams. A stream id is `<session>/<key>` (see EventStore); a POST stream's key
 * is `<node>.<seq>` plus, for a single request, `.<base64url(JSON id)>`: any node resuming the
 * stream knows who runs the request and which response it owes the client
 * (basic/transports#resumability-and-redelivery). The standalone GET stream's key is `_`.
 */
import type { RequestId } from '../../protocol/types.js';

export function postStreamKey(nodeId: string, seq: number, requestIds: readonly RequestId[]): string {
  const base = `${nodeId}.${seq.toString(36)}`;
  if (requestIds.length !== 1) return base;
  const id = Buffer.from(JSON.stringify(requestIds[0])).toString('base64url');
  return id.length <= 128 ? `${base}.${id}` : base;
}

export function parsePostStreamKey(key: string): { nodeId: string; requestId: RequestId | undefined } | undefined {
  const parts = key.split('.');
  if (parts.length < 2 || parts.length > 3 || !parts[0]) return undefined;
  if (parts.length === 2) return { nodeId: parts[0], requestId: undefined };
  try {
    const id = JSON.parse(Buffer.from(parts[2]!, 'base64url').toString()) as unknown;
    return typeof id === 'string' || typeof id === 'number' ? { nodeId: parts[0], requestId: id } : undefined;
  } catch {
    return undefined;
  }
}
