/**
 * A cap on open connections for a node:http server. Node's own `maxConnections` drops every
 * newcomer at the cap, so a few thousand idle sockets would lock out every real client. Here, at
 * the cap, the connection idle the longest (no request in progress: an idle keep-alive or a
 * socket that never sent anything) is closed to admit the new one; only when every connection is
 * busy is the newcomer answered 503 and closed.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

interface Tracked {
  busy: number;
}

export function limitConnections(srv: Server, max: number): void {
  if (!Number.isFinite(max)) return;
  const state = new WeakMap<Socket, Tracked>();
  /** Idle sockets, oldest-idle first (a Set keeps insertion order). */
  const idle = new Set<Socket>();
  let open = 0;
  srv.on('connection', (socket: Socket) => {
    if (open >= max) {
      const victim = idle.values().next().value as Socket | undefined;
      if (victim) {
        idle.delete(victim);
        victim.destroy();
      } else {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        socket.destroySoon?.();
        return;
      }
    }
    open++;
    state.set(socket, { busy: 0 });
    idle.add(socket);
    socket.once('close', () => {
      open--;
      idle.delete(socket);
    });
  });
  srv.on('request', (req, res) => {
    const socket = req.socket as Socket;
    const t = state.get(socket);
    if (!t) return;
    t.busy++;
    idle.delete(socket);
    res.once('close', () => {
      if (--t.busy === 0 && !socket.destroyed) idle.add(socket);
    });
  });
  // An upgraded socket (WebSocket) belongs to its protocol now: never idle here.
  srv.on('upgrade', (req) => {
    idle.delete(req.socket as Socket);
    const t = state.get(req.socket as Socket);
    if (t) t.busy++;
  });
}
