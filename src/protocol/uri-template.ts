/**
 * RFC 6570 URI templates for resource templates (server/resources#resource-templates):
 * `expand` (levels 1–4 except prefix/explode modifiers on composite values) and `match`,
 * which reverses an expansion into variables so `resources/read` can find its template.
 * Compiled once per template; matching is one RegExp exec.
 */

interface VarSpec {
  name: string;
  explode: boolean;
  prefix: number | undefined;
}
interface Expr {
  op: string;
  vars: VarSpec[];
}
type Part = string | Expr;

const OPS: Record<string, { first: string; sep: string; named: boolean; ifEmpty: string; allowReserved: boolean }> = {
  '': { first: '', sep: ',', named: false, ifEmpty: '', allowReserved: false },
  '+': { first: '', sep: ',', named: false, ifEmpty: '', allowReserved: true },
  '#': { first: '#', sep: ',', named: false, ifEmpty: '', allowReserved: true },
  '.': { first: '.', sep: '.', named: false, ifEmpty: '', allowReserved: false },
  '/': { first: '/', sep: '/', named: false, ifEmpty: '', allowReserved: false },
  ';': { first: ';', sep: ';', named: true, ifEmpty: '', allowReserved: false },
  '?': { first: '?', sep: '&', named: true, ifEmpty: '=', allowReserved: false },
  '&': { first: '&', sep: '&', named: true, ifEmpty: '=', allowReserved: false },
};

function encode(value: string, allowReserved: boolean): string {
  return allowReserved ? encodeURI(value).replace(/%25([0-9A-F]{2})/gi, '%$1') : encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export type TemplateVariables = Record<string, string | string[]>;

export class UriTemplate {
  readonly variableNames: string[];
  private readonly parts: Part[];
  private regex: RegExp | undefined;
  private groups: { name: string; op: string; explode: boolean }[] = [];

  constructor(readonly template: string) {
    this.parts = [];
    const re = /\{([^}]*)\}/g;
    let last = 0;
    for (let m = re.exec(template); m; m = re.exec(template)) {
      if (m.index > last) this.parts.push(template.slice(last, m.index));
      let body = m[1] ?? '';
      let op = '';
      if (body && '+#./;?&'.includes(body[0]!)) {
        op = body[0]!;
        body = body.slice(1);
      }
      const vars = body.split(',').map((v): VarSpec => {
        const explode = v.endsWith('*');
        const [name, prefix] = (explode ? v.slice(0, -1) : v).split(':');
        if (!name || !/^[A-Za-z0-9_.%]+$/.test(name)) throw new TypeError(`Invalid URI template variable "${v}" in ${template}`);
        return { name, explode, prefix: prefix === undefined ? undefined : Number(prefix) };
      });
      this.parts.push({ op, vars });
      last = re.lastIndex;
    }
    if (template.indexOf('{', last) >= 0 || template.indexOf('}', last) >= 0) throw new TypeError(`Unbalanced braces in URI template ${template}`);
    if (last < template.length) this.parts.push(template.slice(last));
    this.variableNames = this.parts.flatMap((p) => (typeof p === 'string' ? [] : p.vars.map((v) => v.name)));
  }

  static isTemplate(s: string): boolean {
    return /\{[^}]+\}/.test(s);
  }

  expand(variables: TemplateVariables): string {
    let out = '';
    for (const part of this.parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const op = OPS[part.op]!;
      const pieces: string[] = [];
      for (const v of part.vars) {
        const value = variables[v.name];
        if (value === undefined) continue;
        if (Array.isArray(value)) {
          if (value.length === 0) continue;
          const items = value.map((x) => encode(x, op.allowReserved));
          if (v.explode) pieces.push(...items.map((x) => (op.named ? `${v.name}=${x}` : x)));
          else pieces.push((op.named ? `${v.name}=` : '') + items.join(','));
        } else {
          const s = encode(v.prefix === undefined ? value : value.slice(0, v.prefix), op.allowReserved);
          pieces.push(op.named ? (s === '' ? v.name + op.ifEmpty : `${v.name}=${s}`) : s);
        }
      }
      if (pieces.length) out += op.first + pieces.join(op.sep);
    }
    return out;
  }

  private compile(): RegExp {
    let src = '^';
    for (const part of this.parts) {
      if (typeof part === 'string') {
        src += escapeRegExp(part);
        continue;
      }
      const op = OPS[part.op]!;
      if (op.named) {
        // Query-style expressions: match the whole run, parse names afterwards.
        this.groups.push({ name: part.vars.map((v) => v.name).join(','), op: part.op, explode: false });
        src += `(?:${escapeRegExp(op.first)}([^#]*))?`;
        continue;
      }
      const stop = op.allowReserved ? (part.op === '#' ? '' : '#?') : '/?#,';
      part.vars.forEach((v, i) => {
        this.groups.push({ name: v.name, op: part.op, explode: v.explode });
        const chars = v.explode ? `[^?#]` : `[^${escapeRegExp(stop)}]`;
        src += (i === 0 ? escapeRegExp(op.first) : escapeRegExp(op.sep)) + `(${chars}*)`;
      });
    }
    return new RegExp(src + '$');
  }

  /** Returns the variables if `uri` is an expansion of this template, else undefined. */
  match(uri: string): TemplateVariables | undefined {
    this.regex ??= this.compile();
    const m = this.regex.exec(uri);
    if (!m) return undefined;
    const out: TemplateVariables = {};
    this.groups.forEach((g, i) => {
      const raw = m[i + 1];
      if (raw === undefined) return;
      if (OPS[g.op]!.named) {
        const names = new Set(g.name.split(','));
        for (const pair of raw.split(OPS[g.op]!.sep)) {
          const eq = pair.indexOf('=');
          const k = eq < 0 ? pair : pair.slice(0, eq);
          if (names.has(k)) out[k] = decodeURIComponent(eq < 0 ? '' : pair.slice(eq + 1));
        }
        return;
      }
      out[g.name] = g.explode ? raw.split(OPS[g.op]!.sep).map(decodeURIComponent) : decodeURIComponent(raw);
    });
    return out;
  }
}
