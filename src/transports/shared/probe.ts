/**
 * Readiness probing: every store that can be pinged (Redis) answers within a deadline, so
 * `/ready` turns 503 while one is unreachable instead of hanging.
 */
import type { StoreProbe } from '../../stores/types.js';

/** Pings each distinct store; undefined when all answered within `timeoutMs`, else why not. */
export async function probeStores(stores: readonly StoreProbe[], timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all([...new Set(stores)].map((p) => p.ping?.())),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    clearTimeout(timer);
  }
}
