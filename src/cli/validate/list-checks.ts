/**
 * Listing what the server offers, page by page (server/utilities/pagination), for every kind it
 * declares. The items found are what the tool, resource and prompt checks then exercise.
 */
import type { Client } from '../../client/index.js';
import { McpError } from '../../protocol/errors.js';
import { describeError, fail, pass, verdict } from './checks.js';
import type { CheckContext } from './context.js';

export interface Listed {
  tools: Record<string, unknown>[];
  resources: Record<string, unknown>[];
  templates: Record<string, unknown>[];
  prompts: Record<string, unknown>[];
}

type ListMethod = 'tools/list' | 'resources/list' | 'resources/templates/list' | 'prompts/list';
const KEY: Record<ListMethod, string> = { 'tools/list': 'tools', 'resources/list': 'resources', 'resources/templates/list': 'resourceTemplates', 'prompts/list': 'prompts' };
const MAX_PAGES = 200;

/** Follows nextCursor to the end; throws on a malformed page. */
async function walk(client: Client, method: ListMethod): Promise<{ items: Record<string, unknown>[]; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let cursor: unknown;
  let pages = 0;
  const seen = new Set<string>();
  do {
    const r = (await client.call(method, cursor === undefined ? undefined : { cursor: cursor as string })) as Record<string, unknown>;
    pages++;
    const list = r[KEY[method]];
    if (!Array.isArray(list)) throw new Error(`page ${pages}: "${KEY[method]}" is not an array`);
    items.push(...(list as Record<string, unknown>[]));
    cursor = r.nextCursor;
    if (cursor !== undefined && typeof cursor !== 'string') throw new Error(`page ${pages}: nextCursor is ${JSON.stringify(cursor)}, not a string`);
    if (typeof cursor === 'string') {
      if (seen.has(cursor)) throw new Error(`page ${pages}: nextCursor repeats an earlier cursor (endless pagination)`);
      seen.add(cursor);
    }
  } while (cursor !== undefined && pages < MAX_PAGES);
  if (cursor !== undefined) throw new Error(`still paginating after ${MAX_PAGES} pages`);
  return { items, pages };
}

const SPEC: Record<ListMethod, string> = {
  'tools/list': 'server/tools#listing-tools',
  'resources/list': 'server/resources#listing-resources',
  'resources/templates/list': 'server/resources#resource-templates',
  'prompts/list': 'server/prompts#listing-prompts',
};

export async function listChecks(ctx: CheckContext, client: Client): Promise<Listed> {
  const caps = client.serverCapabilities ?? {};
  const out: Listed = { tools: [], resources: [], templates: [], prompts: [] };
  const plan: [ListMethod, keyof Listed, boolean][] = [
    ['tools/list', 'tools', caps.tools !== undefined],
    ['resources/list', 'resources', caps.resources !== undefined],
    ['resources/templates/list', 'templates', caps.resources !== undefined],
    ['prompts/list', 'prompts', caps.prompts !== undefined],
  ];
  for (const [method, key, declared] of plan) {
    const capability = method.split('/')[0]!;
    if (!declared) {
      // Not declared: the method is optional. What it answers is worth knowing, not a failure.
      await ctx.rec.check({ id: `${key}.undeclared`, level: 'info', spec: 'basic/lifecycle#capability-negotiation', title: `${method} when the ${capability} capability is not declared` }, async () => {
        try {
          await client.call(method);
          return pass('answered although the capability is not declared');
        } catch (e) {
          return pass(`refused: ${describeError(e)}`);
        }
      });
      continue;
    }
    await ctx.rec.check(
      { id: `${key}.list`, level: 'MUST', spec: `${SPEC[method]}; server/utilities/pagination`, title: `${method} answers every page (the ${capability} capability is declared)` },
      async () => {
        const r = await walk(client, method);
        out[key] = r.items;
        return pass(`${r.items.length} item(s) in ${r.pages} page(s)`);
      },
    );
  }

  const paged = plan.find(([, , declared]) => declared);
  if (!paged) {
    ctx.rec.skipAll([{ id: 'pagination.bad-cursor', level: 'SHOULD', spec: 'server/utilities/pagination#error-handling', title: 'an invalid cursor is answered with error -32602' }], 'the server declares nothing to list');
    return out;
  }
  await ctx.rec.check(
    { id: 'pagination.bad-cursor', level: 'SHOULD', spec: 'server/utilities/pagination#error-handling', title: 'an invalid cursor is answered with error -32602 (Invalid params)' },
    async () => {
      try {
        await client.call(paged[0], { cursor: '!not-a-cursor-erlmcp-validate!' });
        return fail(`${paged[0]} with an invalid cursor answered a result`);
      } catch (e) {
        if (!(e instanceof McpError)) throw e;
        return verdict(e.code === -32602, `${paged[0]}: ${describeError(e)}`);
      }
    },
  );
  return out;
}

/** Items of a list that are objects with a string `name`. */
export function names(items: Record<string, unknown>[]): string[] {
  return items.map((i) => i.name).filter((n): n is string => typeof n === 'string');
}

