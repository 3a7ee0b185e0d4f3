/**
 * The OpenTelemetry MCP semantic conventions (open-telemetry/semantic-conventions-genai, status
 * Development) as plain strings: the npm constants in `@opentelemetry/semantic-conventions/
 * incubating` are deprecated, so the names live here, once. Also the helpers every signal shares
 * (span name, error classification, bounded label values).
 */
import { McpError } from '../../protocol/errors.js';

export const ATTR = {
  METHOD: 'mcp.method.name',
  SESSION_ID: 'mcp.session.id',
  PROTOCOL_VERSION: 'mcp.protocol.version',
  RESOURCE_URI: 'mcp.resource.uri',
  REQUEST_ID: 'jsonrpc.request.id',
  STATUS_CODE: 'rpc.response.status_code',
  TOOL_NAME: 'gen_ai.tool.name',
  PROMPT_NAME: 'gen_ai.prompt.name',
  OPERATION_NAME: 'gen_ai.operation.name',
  ERROR_TYPE: 'error.type',
  NETWORK_TRANSPORT: 'network.transport',
  NETWORK_PROTOCOL_NAME: 'network.protocol.name',
  CLIENT_ADDRESS: 'client.address',
} as const;

/** Histogram buckets (seconds) the conventions give for operation and session durations. */
export const DURATION_BUCKETS: readonly number[] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/** `error.type` of a successful JSON-RPC response whose tool result says `isError`. */
export const TOOL_ERROR = 'tool_error';
/** The value used for a label whose real value is unbounded or unknown. */
export const OTHER = '_OTHER';

/**
 * JSON-RPC codes that are the caller's fault: recorded (`error.type`) but a server span's status
 * stays unset for them (parse error, invalid request, method not found, invalid params, resource
 * not found).
 */
const CALLER_FAULTS = new Set([-32700, -32600, -32601, -32602, -32002]);

/** `{mcp.method.name} {target}` when the target is a tool or prompt name, else the method. */
export function spanName(method: string, params: Record<string, unknown> | undefined): string {
  if (method === 'tools/call' || method === 'prompts/get') {
    const name = params?.name;
    if (typeof name === 'string') return `${method} ${name}`;
  }
  return method;
}

/** Carrier kind → `network.transport` (pipe for stdio, tcp for every socket carrier). */
export function networkTransport(kind: string | undefined): string | undefined {
  switch (kind) {
    case 'stdio':
      return 'pipe';
    case 'http':
    case 'sse':
    case 'ws':
    case 'tcp':
      return 'tcp';
    default:
      return undefined;
  }
}

/** Carrier kind → `network.protocol.name`. */
export function networkProtocol(kind: string | undefined): string | undefined {
  return kind === 'http' || kind === 'sse' ? 'http' : kind === 'ws' ? 'websocket' : undefined;
}

/** How a failed call is classified: `error.type`, the JSON-RPC code (if any), caller's fault or not. */
export interface Failure {
  readonly type: string;
  readonly code: number | undefined;
  readonly callerFault: boolean;
  readonly message: string;
}

export function classifyFailure(e: unknown): Failure {
  if (e instanceof McpError) return { type: String(e.code), code: e.code, callerFault: CALLER_FAULTS.has(e.code), message: e.message };
  const err = e instanceof Error ? e : undefined;
  const code = (err as { code?: unknown } | undefined)?.code;
  // ErlmcpError and Node errors carry a string code (ERR_TIMEOUT, ECONNRESET): a bounded set.
  const type = err === undefined ? OTHER : typeof code === 'string' ? code : err.name || OTHER;
  return { type, code: undefined, callerFault: false, message: err?.message ?? String(e) };
}

/** Whether a result is a tool result reporting failure (`isError: true`). */
export function isToolError(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { isError?: unknown }).isError === true;
}

/**
 * A set of label values that stays bounded: the first `max` distinct values pass, later ones
 * become `_OTHER` (so a client inventing tool names cannot grow the series count).
 */
export class BoundedValues {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}
  get(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(value);
    return value;
  }
}
