/**
 * The gates config file (JSON, default `.erlmcp/gates.json`): which gates run, in order, each
 * with a time limit. Three kinds:
 *   { "name": "types", "type": "command", "command": "npx tsc --noEmit", "timeoutSeconds": 300 }
 *   { "name": "spec", "type": "validate", "target": ["node", "dist/server.js"] }
 *   { "name": "speed", "type": "bench", "target": ["http://127.0.0.1:3000/mcp"], "tolerance": 0.25 }
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ErlmcpError } from '../../protocol/errors.js';

/** Where receipts go unless the config or `--receipts` says otherwise. */
export const DEFAULT_RECEIPTS_DIR = '.erlmcp/receipts';

const name = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1–64)');
const timeoutSeconds = z.number().positive().max(86_400);
/** A validate/bench target: [url] or [command, ...args], as on the command line. */
const target = z.array(z.string().min(1)).min(1);

const commandGate = z.strictObject({
  name,
  type: z.literal('command'),
  /** Run by the shell (sh -c) in the current directory, or in `cwd` (relative to it). */
  command: z.string().min(1),
  cwd: z.string().optional(),
  timeoutSeconds: timeoutSeconds.default(600),
});

const validateGate = z.strictObject({
  name,
  type: z.literal('validate'),
  target,
  /** Fail on a failed SHOULD too. Default false: only MUST failures fail the gate. */
  strict: z.boolean().default(false),
  callTools: z.boolean().default(false),
  timeoutSeconds: timeoutSeconds.default(300),
});

const benchGate = z.strictObject({
  name,
  type: z.literal('bench'),
  target,
  /** Allowed fall in calls/s (and rise in server CPU per call) against the previous receipt: 0.25 = 25 %. */
  tolerance: z.number().min(0).max(10).default(0.25),
  inFlight: z.number().int().min(1).max(1024).default(16),
  durationMs: z.number().int().min(100).max(600_000).default(3000),
  tool: z.string().optional(),
  arguments: z.record(z.string(), z.unknown()).optional(),
  timeoutSeconds: timeoutSeconds.default(300),
});

export const GatesConfigSchema = z.strictObject({
  /** Where receipts are written, relative to the current directory. Default `.erlmcp/receipts`. */
  receipts: z.string().optional(),
  gates: z.array(z.discriminatedUnion('type', [commandGate, validateGate, benchGate])).min(1),
});

export type GatesConfig = z.infer<typeof GatesConfigSchema>;
export type GateConfig = GatesConfig['gates'][number];

export const DEFAULT_CONFIG_PATH = '.erlmcp/gates.json';

export function loadConfig(path: string): GatesConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', `Cannot read the gates config ${path}: ${(e as Error).message}`);
  }
  const parsed = GatesConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', `Invalid gates config ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  const names = parsed.data.gates.map((g) => g.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `Invalid gates config ${path}: gate name "${dup}" is used twice`);
  return parsed.data;
}
