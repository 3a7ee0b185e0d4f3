/**
 * Memory of a server child: the kernel's view (/proc/<pid>/status, Linux) and the child's own
 * view (its GET /__mem side endpoint: process.memoryUsage() after a forced GC).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';

export interface ProcMemory {
  /** Peak resident set size (VmHWM) in bytes. */
  peakRss: number;
  rss: number;
}

export function procMemory(pid: number): ProcMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { peakRss: kb('VmHWM'), rss: kb('VmRSS') };
}

/** Resets VmHWM to the current RSS (proc(5): writing 5 to clear_refs), so a peak belongs to one measurement. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface ChildMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** false when the child was started without --expose-gc. */
  gc: boolean;
}

/** GET <origin>/__mem on a fresh connection (not the keep-alive pool under test). */
export function childMemory(origin: string): Promise<ChildMemory> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}/__mem`, { method: 'GET', agent: false, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as ChildMemory);
        } catch (e) {
          reject(e as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('GET /__mem timed out')));
    req.on('error', reject);
    req.end();
  });
}

export const MiB = 1024 * 1024;
