/**
 * API keys for machine clients: the simple alternative to OAuth. Only SHA-256 digests are kept
 * (a leaked key file grants nothing); a presented key is hashed and compared against every
 * stored digest in constant time. A store loaded from a file re-reads it when it changes, so a
 * key is revoked by deleting its line — no restart. An unreadable or invalid file fails closed
 * (no key is accepted until it is fixed) and is reported as an 'error' event.
 *
 * File format (JSON):
 * { "keys": [ { "name": "ci-bot", "sha256": "<64 hex>", "scopes": ["tools:call"], "expiresAt": "2027-01-01T00:00:00Z" } ] }
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { AuthInfo } from '../../protocol/transport.js';

export interface ApiKeyEntry {
  /** Who the key belongs to: becomes `AuthInfo.subject`. */
  readonly name: string;
  /** SHA-256 of the key, hex. */
  readonly sha256: string;
  readonly scopes?: readonly string[];
  /** ISO date after which the key is refused. */
  readonly expiresAt?: string;
}

interface Loaded {
  readonly digest: Buffer;
  readonly info: AuthInfo;
  readonly expiresMs: number;
}

/** The SHA-256 hex digest to store for a key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random key (32 bytes, base64url, `emk_` prefix so scanners can recognise it). */
export function generateApiKey(): string {
  return `emk_${randomBytes(32).toString('base64url')}`;
}

/** Parses a key file's JSON; throws a TypeError naming the first bad entry. */
export function parseApiKeyFile(text: string): ApiKeyEntry[] {
  const doc = JSON.parse(text) as unknown;
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new TypeError('API key file: expected { "keys": [...] }');
  return keys.map((k: unknown, i) => {
    const e = k as Partial<ApiKeyEntry> | null;
    if (typeof e?.name !== 'string' || e.name === '') throw new TypeError(`API key file: keys[${i}].name must be a non-empty string`);
    if (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(e.sha256)) throw new TypeError(`API key file: keys[${i}].sha256 must be 64 hex digits`);
    if (e.scopes !== undefined && (!Array.isArray(e.scopes) || !e.scopes.every((s) => typeof s === 'string'))) throw new TypeError(`API key file: keys[${i}].scopes must be an array of strings`);
    if (e.expiresAt !== undefined && Number.isNaN(Date.parse(e.expiresAt))) throw new TypeError(`API key file: keys[${i}].expiresAt must be a date`);
    return e as ApiKeyEntry;
  });
}

/**
 * The accepted API keys.
 *
 * @example
 * const keys = await ApiKeyStore.fromFile('/etc/erlmcp/api-keys.json'); // re-read on change
 * const who = keys.verify(req.headers['x-api-key']); // AuthInfo or undefined
 */
export class ApiKeyStore extends EventEmitter<{ reload: [count: number]; error: [Error] }> {
  private entries: readonly Loaded[] = [];
  private watcher: FSWatcher | undefined;
  private reloading: Promise<void> | undefined;
  private again = false;

  constructor(entries: readonly ApiKeyEntry[] = []) {
    super();
    this.set(entries);
  }

  /** A store backed by a file, re-read whenever the file (or its directory entry) changes. */
  static async fromFile(path: string): Promise<ApiKeyStore> {
    const store = new ApiKeyStore();
    // Throws on a bad file at start: a misconfiguration should stop the server, not open it.
    store.set(parseApiKeyFile(await readFile(path, 'utf8')));
    store.watchFile(path);
    return store;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Replaces every key at once. */
  set(entries: readonly ApiKeyEntry[]): void {
    this.entries = entries.map((e) => ({
      digest: Buffer.from(e.sha256, 'hex'),
      expiresMs: e.expiresAt === undefined ? Infinity : Date.parse(e.expiresAt),
      info: Object.freeze({ subject: e.name, clientId: e.name, scopes: Object.freeze([...(e.scopes ?? [])]), method: 'api-key' }),
    }));
  }

  /**
   * The identity of a presented key, or undefined. Every stored digest is compared, in constant
   * time. `digest`: the key's SHA-256 when the caller has it already (the resource server hashes
   * a bearer token once for this and for its JWT cache).
   */
  verify(key: string | undefined, digest?: Buffer): AuthInfo | undefined {
    if (key === undefined || key === '' || key.length > 1024 || this.entries.length === 0) return undefined;
    digest ??= createHash('sha256').update(key, 'utf8').digest();
    let found: Loaded | undefined;
    for (const e of this.entries) {
      // No early exit: the time taken does not depend on which entry (if any) matched.
      if (timingSafeEqual(digest, e.digest) && found === undefined) found = e;
    }
    if (found === undefined || found.expiresMs <= Date.now()) return undefined;
    return found.info;
  }

  /** Re-reads the file now (also done on every change). */
  reload(path: string): Promise<void> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.again = false;
        try {
          this.set(parseApiKeyFile(await readFile(path, 'utf8')));
        } catch (e) {
          this.entries = []; // fail closed: a key revoked in a broken file must not stay valid
          this.report(e as Error);
        }
      } while (this.again);
      this.reloading = undefined;
      this.emit('reload', this.entries.length);
    })();
    return this.reloading;
  }

  private watchFile(path: string): void {
    // The directory is watched, not the file: editors and `mv` replace the file (a new inode).
    const name = basename(path);
    this.watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
      if (changed === null || changed === name) void this.reload(path);
    });
    this.watcher.on('error', (e) => this.report(e));
  }

  // An 'error' event with no listener would throw; a store nobody listens to just fails closed.
  private report(e: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
