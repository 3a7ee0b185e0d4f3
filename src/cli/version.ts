/** The package version, read from package.json next to dist/ (dist/src/cli → the package root). */
import { readFileSync } from 'node:fs';

export function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
