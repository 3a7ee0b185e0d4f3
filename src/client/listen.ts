/**
 * A `subscriptions/listen` stream seen from the client (2026-07-28 basic/patterns/subscriptions):
 * the server acknowledges with the subset it honours, then delivers matching notifications, each
 * tagged with `subscriptionId` = the listen request's JSON-RPC id, until either side ends it.
 */

import { ErlmcpError } from '../protocol/errors.js';
import { META } from '../protocol/eras.js';

/** What to listen for (SubscriptionsListenRequest `params.notifications`). */
export interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

export interface ListenNotification {
  method: string;
  params: Record<string, unknown> | undefined;
}

/** Notifications kept for the async iterator before the oldest is dropped. */
export const MAX_QUEUED = 1000;

/** How a subscription ended: the server finished it, the connection failed, or we closed it. */
export type ListenEnd = 'graceful' | 'remote' | 'local';

/**
 * One open listen. Notifications reach `onnotification` and the async iterator.
 * @example
 * const sub = await client.listen({ toolsListChanged: true });
 * for await (const n of sub) if (n.method === 'notifications/tools/list_changed') await client.listTools();
 */
export class Subscription implements AsyncIterable<ListenNotification> {
  /** The subset the server honoured (from the acknowledgement). */
  honored: ListenFilter = {};
  onnotification?: (n: ListenNotification) => void;
  readonly closed: Promise<ListenEnd>;
  private end!: (how: ListenEnd) => void;
  private ended: ListenEnd | undefined;
  private readonly queue: ListenNotification[] = [];
  private waiter: (() => void) | undefined;

  constructor(
    readonly id: string | number,
    private readonly controller: AbortController,
  ) {
    this.closed = new Promise((resolve) => (this.end = resolve));
  }

  /** Ends the listen: the request is cancelled (on HTTP its stream is closed). */
  close(): Promise<ListenEnd> {
    this.finish('local');
    this.controller.abort('listen closed');
    return this.closed;
  }

  /** @internal a notification for this subscription arrived. */
  deliver(n: ListenNotification): void {
    if (this.ended) return;
    // Bounded: a consumer that only uses the callback must not grow the queue forever.
    if (this.queue.length >= MAX_QUEUED) this.queue.shift();
    this.queue.push(n);
    this.onnotification?.(n);
    this.wake();
  }

  /** @internal */
  finish(how: ListenEnd): void {
    if (this.ended) return;
    this.ended = how;
    this.end(how);
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ListenNotification> {
    for (;;) {
      const n = this.queue.shift();
      if (n) {
        yield n;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

/**
 * The client's open listens. One is opened at a time, because its acknowledgement
 * (`notifications/subscriptions/acknowledged`) is the only thing that names its id.
 */
export class Listens {
  private readonly open_ = new Map<string | number, Subscription>();
  private lock: Promise<unknown> = Promise.resolve();
  private ackWaiter: ((id: string | number, honored: ListenFilter) => void) | undefined;

  /** Sends the listen request through `send` and resolves with its Subscription once acknowledged. */
  open(send: (signal: AbortSignal) => Promise<unknown>): Promise<Subscription> {
    const opened = this.lock.then(
      () =>
        new Promise<Subscription>((resolve, reject) => {
          const controller = new AbortController();
          let sub: Subscription | undefined;
          this.ackWaiter = (id, honored) => {
            this.ackWaiter = undefined;
            sub = new Subscription(id, controller);
            sub.honored = honored;
            this.open_.set(id, sub);
            resolve(sub);
          };
          const done = (how: ListenEnd, e?: unknown): void => {
            if (!sub) {
              this.ackWaiter = undefined;
              reject(e ?? new ErlmcpError('ERR_INVALID_RESULT', 'subscriptions/listen ended before its acknowledgement'));
              return;
            }
            this.open_.delete(sub.id);
            sub.finish(how);
          };
          send(controller.signal).then(
            () => done('graceful'),
            (e: unknown) => done(e instanceof ErlmcpError && e.code === 'ERR_CANCELLED' ? 'local' : 'remote', e),
          );
        }),
    );
    this.lock = opened.catch(() => {});
    return opened;
  }

  /** True when the notification was a listen's acknowledgement (consumed here). */
  acknowledged(method: string, params: Record<string, unknown> | undefined): boolean {
    if (method !== 'notifications/subscriptions/acknowledged') return false;
    const sid = subscriptionIdOf(params);
    if (sid !== undefined) this.ackWaiter?.(sid, (params?.notifications ?? {}) as ListenFilter);
    return true;
  }

  /** Hands a notification tagged with a `subscriptionId` to its subscription. */
  deliver(method: string, params: Record<string, unknown> | undefined): void {
    const sid = subscriptionIdOf(params);
    if (sid !== undefined) this.open_.get(sid)?.deliver({ method, params });
  }
}

function subscriptionIdOf(params: Record<string, unknown> | undefined): string | number | undefined {
  return (params?._meta as Record<string, unknown> | undefined)?.[META.subscriptionId] as string | number | undefined;
}
