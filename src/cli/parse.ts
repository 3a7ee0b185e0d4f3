/** Value parsers shared by flags, environment variables and messages (commander's InvalidArgumentError says which). */
import { InvalidArgumentError } from 'commander';
import { LOG_LEVELS, type LogLevel } from '../features/telemetry/config.js';

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('Expected an integer from 0 to 65535 (0 picks a free port).');
  return n;
}

export function parseWorkers(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1024) throw new InvalidArgumentError('Expected a number of workers from 1 to 1024.');
  return n;
}

export function parseRedisUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidArgumentError('Expected a URL such as redis://127.0.0.1:6379.');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new InvalidArgumentError('Expected a redis:// or rediss:// URL.');
  return value;
}

export function parseHost(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('Expected a host name or address.');
  return value;
}

/** 1/true/yes/on and 0/false/no/off (environment variables). */
export function parseBoolean(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new InvalidArgumentError('Expected true or false (also 1/0, yes/no, on/off).');
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('Expected a positive integer.');
  return n;
}

export function parseList(value: string): string[] {
  const items = value
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('Expected a comma-separated list.');
  return items;
}

/** `100/1` = 100 requests per 1 second per caller. */
export function parseRate(value: string): { points: number; duration: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new InvalidArgumentError('Expected <requests>/<seconds>, e.g. 100/1.');
  return { points: Number(m[1]), duration: Number(m[2]) };
}

/** A count or duration (ms): a non-negative integer up to `max`. */
export function parseLimit(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > max) throw new InvalidArgumentError(`Expected an integer from 0 to ${max}.`);
    return n;
  };
}

/** `--metrics-port`: a fixed port (the worker listens on it; 0 would leave the banner guessing). */
export function parseMetricsPort(value: string): number {
  const n = parsePort(value);
  if (n === 0) throw new InvalidArgumentError('Expected a port from 1 to 65535.');
  return n;
}

/** `ERLMCP_LOG_LEVEL` (the flag checks its choices itself). */
export function parseLogLevel(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new InvalidArgumentError(`Expected one of ${LOG_LEVELS.join(', ')}.`);
  return value as LogLevel;
}
