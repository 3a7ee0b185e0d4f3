/**
 * Opaque cursors (server/utilities/pagination). A cursor encodes an offset plus a short
 * fingerprint of the list's version, so a cursor taken before the list changed is rejected
 * with -32602 rather than silently skipping or repeating items.
 */
import { ErrorCode, McpError } from '../protocol/errors.js';

export function page<T>(items: readonly T[], cursor: unknown, pageSize: number, version: number): { items: readonly T[]; nextCursor?: string } {
  let offset = 0;
  if (cursor !== undefined) {
    offset = decodeCursor(cursor, version);
  }
  if (offset === 0 && items.length <= pageSize) return { items };
  const end = offset + pageSize;
  const slice = items.slice(offset, end);
  return end < items.length ? { items: slice, nextCursor: encodeCursor(end, version) } : { items: slice };
}

function encodeCursor(offset: number, version: number): string {
  return Buffer.from(`${version}:${offset}`).toString('base64url');
}

function decodeCursor(cursor: unknown, version: number): number {
  if (typeof cursor === 'string') {
    const [v, o] = Buffer.from(cursor, 'base64url').toString().split(':');
    const offset = Number(o);
    if (Number(v) === version && Number.isInteger(offset) && offset >= 0) return offset;
  }
  throw new McpError(ErrorCode.InvalidParams, 'Invalid or expired cursor');
}
