/**
 * Server-wide notifications across nodes (docs/deployment.md#notifications-across-nodes).
 *
 * With sessions in a shared store, a node may hold a copy of a session, or several nodes may,
 * or none: looping over local sessions would send a resources/updated twice or not at all.
 * Instead the node the application calls asks the SessionStore which sessions it concerns and
 * appends one notification to each one's standalone stream in the EventStore. Whichever node
 * holds that session's GET stream follows the stream and writes it; a client without one gets
 * it on its next resume (basic/transports#resumability-and-redelivery). One sender, one append
 * per session, so each session gets the notification exactly once.
 */
import type { JSONRPCNotification } from '../../protocol/types.js';
import type { NotificationFanout } from '../../server/index.js';
import type { EventStore, SessionStore } from '../../stores/types.js';
import { canFollow } from './follow.js';

export type IndexedSessionStore = SessionStore & Required<Pick<SessionStore, 'subscriberIds' | 'initializedIds'>>;

/** Appends in flight at once: a list_changed to 100,000 sessions must not queue 100,000 promises. */
const WINDOW = 256;

/** A fan-out over the stores, when they are shared across nodes (indexed sessions, followable events). */
export function storeFanout(sessions: SessionStore, events: EventStore): NotificationFanout | undefined {
  if (typeof sessions.subscriberIds !== 'function' || typeof sessions.initializedIds !== 'function' || !canFollow(events)) return undefined;
  return new StoreFanout(sessions as IndexedSessionStore, events);
}

class StoreFanout implements NotificationFanout {
  constructor(
    private readonly sessions: IndexedSessionStore,
    private readonly events: EventStore,
  ) {}

  async resourceUpdated(uri: string): Promise<void> {
    const ids = await this.sessions.subscriberIds(uri);
    await this.appendToAll(ids, [{ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri } }]);
  }

  async listChanged(methods: readonly string[]): Promise<void> {
    if (methods.length === 0) return;
    const ids = await this.sessions.initializedIds();
    await this.appendToAll(
      ids,
      methods.map((method) => ({ jsonrpc: '2.0', method })),
    );
  }

  private async appendToAll(ids: readonly string[], messages: readonly JSONRPCNotification[]): Promise<void> {
    const encoded = messages.map((m) => ({ m, json: JSON.stringify(m) }));
    // Each session's messages are appended in order (one stream's appends resolve in call order).
    const one = async (id: string): Promise<void> => {
      for (const { m, json } of encoded) await this.events.append(`${id}/_`, m, { json });
    };
    for (let i = 0; i < ids.length; i += WINDOW) await Promise.all(ids.slice(i, i + WINDOW).map(one));
  }
}
