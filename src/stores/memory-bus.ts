/** Default MessageBus for one process: channels are Map entries, delivery is a microtask. */
import type { MessageBus } from './types.js';

export class MemoryBus implements MessageBus {
  private readonly channels = new Map<string, Set<(message: unknown) => void>>();

  async publish(channel: string, message: unknown): Promise<void> {
    const subs = this.channels.get(channel);
    if (!subs) return;
    for (const h of subs) queueMicrotask(() => h(message));
  }

  async subscribe(channel: string, handler: (message: unknown) => void): Promise<() => Promise<void>> {
    let subs = this.channels.get(channel);
    if (!subs) {
      subs = new Set();
      this.channels.set(channel, subs);
    }
    subs.add(handler);
    return async () => {
      subs.delete(handler);
      if (subs.size === 0) this.channels.delete(channel);
    };
  }

  async close(): Promise<void> {
    this.channels.clear();
  }
}
