/** Packs a clean clone of this repository (HEAD) the way a release would: `git clone` → `npm pack` (prepack builds). */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, npm } from './npm.js';

/** The repository root (dist/test/package → ../../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Packed {
  /** Absolute path of the .tgz. */
  tarball: string;
  /** Scratch directory holding the clone and the tarball; remove it when done. */
  dir: string;
  cleanup(): void;
}

/**
 * Clones HEAD into a temp dir (so nothing uncommitted or built in the working tree can leak into
 * the tarball), links the repository's node_modules there (the devDependencies prepack needs:
 * typescript) instead of a fresh `npm ci`, and runs `npm pack`.
 */
export async function packCleanClone(): Promise<Packed> {
  const dir = mkdtempSync(join(tmpdir(), 'erlmcp-pack-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const clone = join(dir, 'repo');
    await exec('git', ['clone', '--quiet', '--no-hardlinks', REPO_ROOT, clone], { cwd: dir });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
    const out = join(dir, 'out');
    mkdirSync(out);
    await npm(['pack', '--silent', '--pack-destination', out], clone);
    const tgz = readdirSync(out).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack wrote no tarball in ${out}`);
    return { tarball: join(out, tgz), dir, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
