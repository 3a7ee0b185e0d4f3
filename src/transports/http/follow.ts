/**
 * Cross-node streams (docs/deployment.md#how-a-request-finds-its-way). With an EventStore that
 * can `follow` (Redis), the node holding a client's SSE connection is not the only one that can
 * write to it: it replays what the client missed, then writes what *any* node appends, live.
 * A POST stream resumed on a node other than the one running its request is followed until the
 * response it owes arrives — or until that node's heartbeat expires, when the client gets an
 * error for the request instead of waiting forever.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ErrorCode } from '../../protocol/errors.js';
import { errorResponse, isResponse } from '../../protocol/jsonrpc.js';
import type { JSONRPCMessage } from '../../protocol/types.js';
import type { EventId, EventStore } from '../../stores/types.js';
import type { SessionHost } from './session-host.js';
import { SseWriter } from './sse-writer.js';
import { parsePostStreamKey } from './stream-keys.js';
import { sendError } from '../shared/http.js';

export type FollowingStore = EventStore & { follow: NonNullable<EventStore['follow']> };

export function canFollow(store: EventStore): store is FollowingStore {
  return typeof store.follow === 'function';
}

/** Heartbeat period assumed when the bus knows nodes but not its own period. */
const DEFAULT_HEARTBEAT_MS = 2000;

/**
 * Writes a followed stream into `w` until its connection closes. Replayed events wait for the
 * reader (backpressure); live ones are written as they come. Returns whether the stream exists.
 */
export async function followInto(store: FollowingStore, w: SseWriter, streamId: string, after: EventId): Promise<boolean> {
  const f = await store.follow(streamId, after, (id, m, replayed) => (replayed ? w.replay(id, m) : w.event(id, m)));
  w.onClose(() => f.stop());
  return f.found;
}

/**
 * Resumes a POST stream whose request runs on another node. Returns false when this is not
 * such a stream (ours, or a batch with no single owed id): replay-and-end will do for those.
 */
export async function followForeign(host: SessionHost, sessionId: string, res: ServerResponse, headers: OutgoingHttpHeaders | undefined, streamId: string, lastEventId: EventId): Promise<boolean> {
  const store = host.eventStore;
  if (!canFollow(store)) return false;
  const key = parsePostStreamKey(streamId.slice(sessionId.length + 1));
  if (!key || key.requestId === undefined || key.nodeId === host.nodeId) return false;
  const owed = key.requestId;
  // Opened on the first event (or once the stream is known to exist), so an unknown id can still get a 404.
  let w: SseWriter | undefined;
  const open = (): SseWriter => {
    if (!w) {
      w = new SseWriter(res, headers, host.sse);
      w.retry(host.retryMs);
    }
    return w;
  };
  let done = false;
  let watchdog: NodeJS.Timeout | undefined;
  const finish = (): void => {
    if (done) return;
    done = true;
    clearInterval(watchdog);
    w?.end();
  };
  const onEvent = (id: EventId, m: JSONRPCMessage, replayed: boolean): Promise<void> | undefined => {
    if (done) return undefined;
    const out = open();
    const pending = replayed ? out.replay(id, m) : (out.event(id, m), undefined);
    if (isResponse(m) && m.id === owed) finish();
    return pending;
  };
  const f = await store.follow(streamId, lastEventId, onEvent);
  if (!f.found && !w) {
    f.stop();
    sendError(res, 404, 'Not Found: unknown or expired Last-Event-ID');
    return true;
  }
  const writer = open();
  writer.onClose(() => {
    f.stop();
    finish();
  });
  if (done) return true;
  const bus = host.bus;
  if (!bus.isNodeAlive) return true;
  let answering = false;
  const check = async (): Promise<void> => {
    if (answering) return;
    let alive: boolean;
    try {
      alive = await bus.isNodeAlive!(key.nodeId);
    } catch {
      return; // Redis unreachable: say nothing rather than declare a live node dead
    }
    if (alive || done || answering) return;
    answering = true;
    const error = errorResponse(owed, { code: ErrorCode.InternalError, message: `node ${key.nodeId} holding this request died` });
    // Stored first, so a client resuming again sees the same outcome.
    const id = await store.append(streamId, error).catch(() => undefined);
    if (!done) {
      writer.event(id, error);
      finish();
    }
  };
  watchdog = setInterval(() => void check(), bus.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  watchdog.unref();
  void check();
  return true;
}
