/**
 * Linux /proc readings of a local server process: CPU time (user + system, from
 * /proc/<pid>/stat), peak resident memory (VmHWM in /proc/<pid>/status), the TCP ports it
 * listens on, and which process listens on a port — so a URL target served from this machine
 * can be measured like a process we started.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Linux USER_HZ: the unit of utime/stime in /proc/<pid>/stat. */
const TICKS_PER_SECOND = 100;

/** CPU time used so far by the process (all its threads), in ms; undefined if unreadable. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Peak resident set size in bytes (VmHWM); undefined if unreadable. */
export function peakRssBytes(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Socket inodes of listening TCP sockets (IPv4 and IPv6), by port. */
function listeningInodes(): Map<string, number> {
  const byInode = new Map<string, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A = LISTEN
      byInode.set(f[9]!, parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return byInode;
}

function socketInodes(pid: number): string[] {
  const out: string[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.push(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** TCP ports the process listens on. */
export function listeningPorts(pid: number): number[] {
  const listening = listeningInodes();
  return [...new Set(socketInodes(pid).map((i) => listening.get(i)).filter((p): p is number => p !== undefined))];
}

/** The process listening on a TCP port of this machine, if /proc lets us see it. */
export function pidListeningOn(port: number): number | undefined {
  const inodes = new Set([...listeningInodes()].filter(([, p]) => p === port).map(([i]) => i));
  if (!inodes.size) return undefined;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    if (socketInodes(Number(d)).some((i) => inodes.has(i))) return Number(d);
  }
  return undefined;
}

/** The process and its descendants (a server started through npx or a shell is a child). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length && out.length < 256; i++) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        for (const c of readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
      } catch {
        // gone meanwhile
      }
    }
  }
  return out;
}

/** CPU time of the process and its descendants, in ms. */
export function treeCpuMs(pid: number): number | undefined {
  const own = cpuMs(pid);
  if (own === undefined) return undefined;
  return processTree(pid).slice(1).reduce((sum, p) => sum + (cpuMs(p) ?? 0), own);
}

/** The largest peak RSS among the process and its descendants, in bytes. */
export function treePeakRssBytes(pid: number): number | undefined {
  const all = processTree(pid).map(peakRssBytes).filter((v): v is number => v !== undefined);
  return all.length ? Math.max(...all) : undefined;
}
