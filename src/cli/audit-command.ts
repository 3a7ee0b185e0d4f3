/**
 * `erlmcp audit verify <file>` / `erlmcp audit verify --redis <url>`: checks a hash-chained audit
 * log (docs/security.md#audit-log). Exit 0 intact (count and head hash on stdout), 1 on the
 * first bad record (named on stderr). `erlmcp audit export --redis <url> <file>` copies a Redis
 * chain into a file that `audit verify <file>` checks the same way.
 */
import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import { Redis } from 'ioredis';
import { auditKeys, redisChainLines, verifyRedisChain } from '../features/audit/redis-chain.js';
import { verifyAuditFile } from '../features/audit/verify.js';
import { redactUrl } from './banner.js';

interface RedisFlags {
  redis?: string;
  redisPrefix: string;
}

async function withRedis<T>(url: string, f: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, { lazyConnect: true, connectTimeout: 2000, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  r.on('error', () => {});
  try {
    await r.connect().catch((e: Error) => Promise.reject(new Error(`cannot reach Redis at ${redactUrl(url)}: ${e.message}`)));
    return await f(r);
  } finally {
    r.disconnect();
  }
}

export function addAuditCommand(program: Command, io: { out(text: string): void }): void {
  const audit = program.command('audit').description('Audit log tools');
  const plural = (n: number) => `${n} record${n === 1 ? '' : 's'}`;
  audit
    .command('verify [file]')
    .description("check an audit log's hash chain (a file, or --redis): exit 0 if intact, 1 naming the first edited, removed, inserted or moved record")
    .option('--redis <url>', 'check the chain in this Redis (written with --audit-log redis://…) instead of a file')
    .option('--redis-prefix <prefix>', 'key prefix of that chain', 'erlmcp:')
    .action(async (file: string | undefined, flags: RedisFlags) => {
      if ((file === undefined) === (flags.redis === undefined)) throw new Error('name a file or --redis <url> (one of them)');
      if (flags.redis !== undefined) {
        const where = `${redactUrl(flags.redis)} ${auditKeys(flags.redisPrefix).stream}`;
        const r = await withRedis(flags.redis, (redis) => verifyRedisChain(redis, flags.redisPrefix));
        if (!r.ok) throw new Error(`${where}: entry ${r.line}${'entry' in r && r.entry ? ` (${r.entry})` : ''}: ${r.reason} (the ${plural(r.records)} before it are intact)`);
        io.out(`${where}: intact, ${plural(r.records)}, head ${r.head}\n`);
        return;
      }
      let r;
      try {
        r = await verifyAuditFile(file!);
      } catch (e) {
        throw new Error(`cannot read ${file}: ${(e as Error).message}`);
      }
      // A thrown Error is printed by runCli and exits 1.
      if (!r.ok) throw new Error(`${file}: line ${r.line}: ${r.reason} (the ${plural(r.records)} before it are intact)`);
      io.out(`${file}: intact, ${plural(r.records)}, head ${r.head}\n`);
    });
  audit
    .command('export <file>')
    .description('copy the audit chain in Redis to a JSON-lines file (as --audit-log <file> writes it; check it with erlmcp audit verify <file>)')
    .requiredOption('--redis <url>', 'the Redis holding the chain')
    .option('--redis-prefix <prefix>', 'key prefix of that chain', 'erlmcp:')
    .action(async (file: string, flags: RedisFlags & { redis: string }) => {
      const n = await withRedis(flags.redis, async (redis) => {
        const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
        const opened = new Promise<void>((resolve, reject) => out.once('open', () => resolve()).once('error', reject));
        await opened.catch((e: Error) => Promise.reject(new Error(`cannot write ${file}: ${e.message}`)));
        let count = 0;
        for await (const { line } of redisChainLines(redis, flags.redisPrefix)) {
          if (!out.write(`${line}\n`)) await new Promise((r) => out.once('drain', () => r(undefined)));
          count++;
        }
        await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
        return count;
      });
      io.out(`${file}: ${plural(n)} exported\n`);
    });
}
