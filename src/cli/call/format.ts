/** Human output of `erlmcp call`: aligned tables for lists, content blocks as text. */
import type { CallToolResult, GetPromptResult, Prompt, ReadResourceResult, Resource, ResourceTemplate, Tool } from '../../protocol/types.js';

/** Columns padded to the widest cell; the last column is not padded. Cells are single-line. */
export function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  const clean = [header, ...rows].map((r) => r.map((c) => c.replace(/\s+/g, ' ').trim()));
  const widths = header.map((_, i) => Math.max(...clean.map((r) => (r[i] ?? '').length)));
  return clean.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

function truncate(text: string | undefined, max = 80): string {
  const t = (text ?? '').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** "a: number, b?: string" from a tool's input schema. */
export function argsSummary(schema: Tool['inputSchema'] | undefined): string {
  const props = (schema?.properties ?? {}) as Record<string, { type?: unknown }>;
  const required = new Set((schema?.required as string[] | undefined) ?? []);
  return Object.entries(props)
    .map(([k, v]) => `${k}${required.has(k) ? '' : '?'}: ${Array.isArray(v.type) ? v.type.join('|') : (v.type ?? 'any')}`)
    .join(', ');
}

export function toolsTable(tools: Tool[]): string {
  if (!tools.length) return '(no tools)\n';
  return table(['NAME', 'ARGUMENTS', 'DESCRIPTION'], tools.map((t) => [t.name, truncate(argsSummary(t.inputSchema), 50), truncate(t.description, 70)]));
}

export function resourcesTable(resources: Resource[], templates: ResourceTemplate[]): string {
  let out = resources.length ? table(['URI', 'NAME', 'MIME TYPE'], resources.map((r) => [r.uri, r.name, r.mimeType ?? ''])) : '(no resources)\n';
  if (templates.length) out += `\n${table(['URI TEMPLATE', 'NAME', 'MIME TYPE'], templates.map((t) => [t.uriTemplate, t.name, t.mimeType ?? '']))}`;
  return out;
}

export function promptsTable(prompts: Prompt[]): string {
  if (!prompts.length) return '(no prompts)\n';
  return table(['NAME', 'ARGUMENTS', 'DESCRIPTION'], prompts.map((p) => [p.name, (p.arguments ?? []).map((a) => `${a.name}${a.required ? '' : '?'}`).join(', '), truncate(p.description)]));
}

type Block = CallToolResult['content'][number];

export function contentBlock(b: Block): string {
  switch (b.type) {
    case 'text':
      return b.text;
    case 'image':
    case 'audio':
      return `[${b.type} ${b.mimeType}, ${Math.floor((b.data.length * 3) / 4)} bytes]`;
    case 'resource_link':
      return `[resource link ${b.uri}${b.name ? ` (${b.name})` : ''}]`;
    case 'resource':
      return 'text' in b.resource ? `[resource ${b.resource.uri}]\n${b.resource.text}` : `[resource ${b.resource.uri}, binary]`;
    default:
      return JSON.stringify(b);
  }
}

export function toolResult(r: CallToolResult): string {
  const parts = r.content.map(contentBlock);
  if (r.structuredContent !== undefined) parts.push(`structuredContent: ${JSON.stringify(r.structuredContent, null, 2)}`);
  return `${r.isError ? 'tool error:\n' : ''}${parts.join('\n')}\n`;
}

export function readResult(r: ReadResourceResult): string {
  return r.contents.map((c) => ('text' in c ? c.text : `[binary ${c.mimeType ?? ''} ${Math.floor((c.blob.length * 3) / 4)} bytes at ${c.uri}]`)).join('\n') + '\n';
}

export function promptResult(r: GetPromptResult): string {
  return r.messages.map((m) => `${m.role}: ${contentBlock(m.content as Block)}`).join('\n') + '\n';
}
