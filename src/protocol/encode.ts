/**
 * Serialising outgoing messages. A result that many requests share — a `tools/list` page is one
 * object until the registry changes — carries its own JSON, so answering it costs a string
 * concatenation instead of a JSON.stringify of every tool's schema per request
 * (bench list-vs-call: 17 kB for 50 tools). Everything else is plain JSON.stringify.
 */
import { ErlmcpError, ErrorCode } from './errors.js';
import type { JSONRPCMessage, RequestId } from './types.js';

const ENCODED = Symbol('erlmcp.encodedResult');

interface Encodable {
  [ENCODED]?: string;
}

/**
 * Freezes a result that will be sent many times and caches its JSON. It must not change
 * afterwards (hence the freeze): build a new one instead.
 */
export function shareResult<T extends object>(result: T): Readonly<T> {
  Object.defineProperty(result, ENCODED, { value: JSON.stringify(result) });
  return Object.freeze(result);
}

/**
 * One message as JSON text. A response whose result cannot be serialised (a cycle, a BigInt)
 * becomes a -32603 error response for the same id naming the problem: the caller gets an answer,
 * never silence or a malformed message. Any other message that cannot be serialised throws
 * ErlmcpError('ERR_ENCODE'), so the send that carried it fails.
 */
export function encodeMessage(message: JSONRPCMessage): string {
  const result = (message as { result?: unknown }).result;
  if (typeof result === 'object' && result !== null) {
    const json = (result as Encodable)[ENCODED];
    // Same key order as JSON.stringify of the response object the engine builds.
    if (json !== undefined) return `{"jsonrpc":"2.0","id":${JSON.stringify((message as { id: RequestId }).id)},"result":${json}}`;
  }
  try {
    return JSON.stringify(message);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    if (result === undefined || !('id' in message)) throw new ErlmcpError('ERR_ENCODE', `Message cannot be encoded as JSON: ${reason}`, { cause: e });
    return JSON.stringify({
      jsonrpc: '2.0',
      id: message.id,
      error: { code: ErrorCode.InternalError, message: `Result cannot be encoded as JSON: ${reason}` },
    });
  }
}

/** A JSON-RPC batch (2025-03-26) as JSON text. */
export function encodeBatch(messages: readonly JSONRPCMessage[]): string {
  if (messages.length === 1) return `[${encodeMessage(messages[0]!)}]`;
  return `[${messages.map(encodeMessage).join(',')}]`;
}
