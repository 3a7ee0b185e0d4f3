/**
 * Writes to a TCP/TLS socket, shared by both ends of the TCP transport. Messages written in
 * one tick (e.g. 64 responses after one read) leave as one writev: the socket is corked for
 * the rest of the tick. Without it each goes out as its own segment on a no-delay socket.
 */
import type { Socket } from 'node:net';
import { ErlmcpError } from '../../protocol/errors.js';

const corked = new WeakSet<Socket>();

function corkForTick(s: Socket): void {
  if (corked.has(s)) return;
  corked.add(s);
  s.cork();
  process.nextTick(() => {
    corked.delete(s);
    s.uncork();
  });
}

/** Resolves at once when the socket takes the data; when pushed back, once it reached the kernel. */
export function writeToSocket(s: Socket, data: string): Promise<void> {
  let settle: ((err?: Error | null) => void) | undefined;
  corkForTick(s);
  // Write callbacks are always asynchronous, so `settle` is set before this one can run.
  if (s.write(data, (err) => settle?.(err))) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    settle = (err) => (err ? reject(new ErlmcpError('ERR_CONNECTION_CLOSED', `TCP write failed: ${err.message}`, { cause: err })) : resolve());
  });
}
