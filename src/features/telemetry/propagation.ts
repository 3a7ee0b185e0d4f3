/**
 * W3C trace context (`traceparent`, `tracestate`, `baggage`) carried in `params._meta`, the keys
 * the 2026-07-28 revision reserves for it. Uses the global propagator: with no SDK registered
 * (the default) extraction and injection do nothing.
 */
import { context, propagation, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';

type Carrier = Record<string, unknown>;

const getter: TextMapGetter<Carrier> = {
  keys: (c) => Object.keys(c),
  get: (c, key) => {
    const v = c[key];
    return typeof v === 'string' ? v : undefined;
  },
};

const setter: TextMapSetter<Carrier> = {
  set: (c, key, value) => {
    c[key] = value;
  },
};

/** The context `meta` carries, over `base` (the active context by default). */
export function extractFromMeta(meta: Carrier | undefined, base: Context = context.active()): Context {
  if (meta === undefined || (meta.traceparent === undefined && meta.baggage === undefined)) return base;
  return propagation.extract(base, meta, getter);
}

/**
 * `params` with `ctx` injected into a copy of its `_meta` (the caller's objects are not touched);
 * `params` itself when the propagator has nothing to add.
 */
export function injectIntoParams(params: Record<string, unknown> | undefined, ctx: Context): Record<string, unknown> | undefined {
  const fields: Carrier = {};
  propagation.inject(ctx, fields, setter);
  let any = false;
  for (const _ in fields) {
    any = true;
    break;
  }
  if (!any) return params;
  const meta = params?._meta as Carrier | undefined;
  return { ...params, _meta: { ...meta, ...fields } };
}
