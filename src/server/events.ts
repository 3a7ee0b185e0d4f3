/**
 * Server-wide notifications of one server definition: resource subscriptions, list_changed
 * coalesced per tick, the fan-outs of sessions that span nodes, and the listeners of events
 * raised on this process (2026-07-28 `subscriptions/listen`, the cluster relay).
 */
import type { ServerEventListener, NotificationFanout } from './options.js';
import type { ServerSession } from './session.js';

export type ListKind = 'tools' | 'resources' | 'prompts';

export class ServerEvents {
  private readonly subscribers = new Map<string, Set<ServerSession>>();
  private readonly listeners = new Set<ServerEventListener>();
  private readonly closeListeners = new Set<() => void>();
  private readonly fanouts = new Set<NotificationFanout>();
  private pending = new Set<ListKind>();

  constructor(
    /** The live sessions of this process, for list_changed. */
    private readonly sessions: () => Iterable<ServerSession>,
    private readonly report: (e: Error) => void,
  ) {}

  subscribe(session: ServerSession, uri: string): void {
    (session.subscriptions ??= new Set()).add(uri);
    let set = this.subscribers.get(uri);
    if (!set) this.subscribers.set(uri, (set = new Set()));
    set.add(session);
    session.changed();
  }

  unsubscribe(session: ServerSession, uri: string): void {
    session.subscriptions?.delete(uri);
    const set = this.subscribers.get(uri);
    set?.delete(session);
    if (set?.size === 0) this.subscribers.delete(uri);
    session.changed();
  }

  /** Forgets a session that left (its subscriptions no longer receive updates). */
  forget(session: ServerSession): void {
    if (session.subscriptions) for (const uri of session.subscriptions) this.subscribers.get(uri)?.delete(session);
  }

  onEvent(listener: ServerEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Runs the close listeners once; true when there were any (their answers still need a tick to go out). */
  closing(): boolean {
    if (this.closeListeners.size === 0) return false;
    for (const l of [...this.closeListeners]) l();
    this.closeListeners.clear();
    return true;
  }

  emit(method: string, params?: Record<string, unknown>, remote = false): void {
    for (const l of this.listeners) {
      try {
        l(method, params, remote);
      } catch (e) {
        this.report(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  addFanout(fanout: NotificationFanout): () => void {
    this.fanouts.add(fanout);
    return () => this.fanouts.delete(fanout);
  }

  /** server/resources#subscriptions: local subscribers directly, sessions spanning nodes through the fan-outs. */
  async resourceUpdated(uri: string): Promise<void> {
    const jobs: Promise<void>[] = [];
    this.emit('notifications/resources/updated', { uri });
    const set = this.subscribers.get(uri);
    if (set) for (const s of set) if (!s.fannedOut) jobs.push(s.notify('notifications/resources/updated', { uri }).catch(this.report));
    for (const f of this.fanouts) jobs.push(f.resourceUpdated(uri).catch(this.report));
    await Promise.all(jobs);
  }

  /** A registry changed: one list_changed per kind per tick, however many changes the tick made. */
  listChanged(kind: ListKind): void {
    if (this.pending.size === 0) queueMicrotask(() => this.flush());
    this.pending.add(kind);
  }

  private flush(): void {
    const methods = [...this.pending].map((k) => `notifications/${k}/list_changed`);
    this.pending = new Set();
    for (const m of methods) this.emit(m);
    for (const s of this.sessions()) {
      // Only sessions past notifications/initialized get server-initiated messages (basic/lifecycle).
      if (!s.initialized || s.fannedOut) continue;
      for (const m of methods) s.notify(m).catch(this.report);
    }
    for (const f of this.fanouts) f.listChanged(methods).catch(this.report);
  }
}
