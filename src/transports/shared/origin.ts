/**
 * Host and Origin checks against DNS rebinding (basic/transports#security-warning: servers MUST
 * validate Origin), shared by every server that speaks HTTP: Streamable HTTP, legacy SSE and the
 * WebSocket upgrade. Pure functions over header strings; `OriginPolicy` (origin-policy.ts)
 * applies them to a request.
 */

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTNAMES.has(host.toLowerCase());
}

/** Hostname of a Host header value (`name:port`, `[v6]:port`), lower-cased. */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

/** The last Host header found to name a loopback address (clients repeat theirs on every request). */
let lastLoopbackHost: string | undefined;

/**
 * Host check against DNS rebinding (basic/transports#security-warning): a rebound name
 * resolves to 127.0.0.1 but the browser still sends the attacker's name in Host.
 * `allowed` entries match the hostname or the full `host:port`.
 */
export function hostAllowed(host: string | undefined, loopbackOk: boolean, allowed: readonly string[] | undefined): boolean {
  if (!host) return false;
  if (loopbackOk && host === lastLoopbackHost) return true;
  const name = hostnameOf(host);
  if (loopbackOk && isLoopbackHost(name)) {
    lastLoopbackHost = host;
    return true;
  }
  if (!allowed) return false;
  const full = host.trim().toLowerCase();
  return allowed.some((a) => {
    const x = a.toLowerCase();
    return x === name || x === full;
  });
}

/**
 * Origin check (basic/transports#security-warning: servers MUST validate Origin; invalid → 403).
 * Absent Origin (non-browser clients) passes. `allowed` entries match the full origin
 * (`https://app.example`) or its hostname.
 */
export function originAllowed(origin: string | undefined, loopbackOk: boolean, allowed: readonly string[] | undefined): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes the opaque "null" origin of sandboxed documents
  }
  const name = url.hostname.toLowerCase();
  if (loopbackOk && isLoopbackHost(name)) return true;
  if (!allowed) return false;
  const full = url.origin.toLowerCase();
  return allowed.some((a) => {
    const x = a.toLowerCase();
    return x === full || x === name;
  });
}
