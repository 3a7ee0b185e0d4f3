/**
 * Resumption replays (basic/transports#resumability-and-redelivery): a GET with Last-Event-ID
 * receives the stored events of exactly that stream after that id. Replays honour
 * backpressure — each event waits while the reader is behind — so a backlog of any size
 * reaches the client on one connection instead of tripping the live-output cut.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { EventId } from '../../stores/types.js';
import type { SessionHost } from './session-host.js';
import { SseWriter } from './sse-writer.js';
import { sendError } from '../shared/http.js';

/**
 * A stream not running here (finished, or running on a node we cannot follow): replay what is
 * stored and end; the client polls again. The response opens on the first event, so an unknown
 * or expired id still gets its 404.
 */
export async function replayAndEnd(host: SessionHost, res: ServerResponse, headers: OutgoingHttpHeaders | undefined, lastEventId: EventId): Promise<void> {
  let w: SseWriter | undefined;
  const open = (): SseWriter => {
    if (!w) {
      w = new SseWriter(res, headers, host.sse);
      w.retry(host.retryMs);
    }
    return w;
  };
  const known = await host.eventStore.replayAfter(lastEventId, (id, m) => open().replay(id, m));
  if (known === undefined && !w) {
    sendError(res, 404, 'Not Found: unknown or expired Last-Event-ID');
    return;
  }
  open().end();
}

/**
 * A stream still running here: `w` (already its live writer, holding live events) gets the
 * stored events first, then the held ones it did not already replay — each event once.
 */
export async function replayThenRelease(host: SessionHost, w: SseWriter, lastEventId: EventId): Promise<void> {
  const replayed = new Set<string>();
  try {
    await host.eventStore.replayAfter(lastEventId, (id, m) => {
      replayed.add(id);
      return w.replay(id, m);
    });
  } finally {
    w.release(replayed);
  }
}
