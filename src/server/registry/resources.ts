/**
 * Resources (server/resources): fixed URIs and RFC 6570 templates. A read is an exact-URI
 * lookup first, then the templates in registration order; nothing matching → -32002.
 */
import { ErrorCode, McpError } from '../../protocol/errors.js';
import { UriTemplate, type TemplateVariables } from '../../protocol/uri-template.js';
import type { Annotations, Icon, Meta, ReadResourceResult, Resource, ResourceTemplate } from '../../protocol/types.js';
import type { HandlerContext } from '../context.js';
import type { Listed } from './list.js';

export interface ResourceMetadata {
  name?: string;
  title?: string;
  description?: string;
  mimeType?: string;
  annotations?: Annotations;
  size?: number;
  icons?: Icon[];
  _meta?: Meta;
}

export type ReadResourceHandler = (uri: string, ctx: HandlerContext) => ReadResourceResult | Promise<ReadResourceResult>;
export type ReadTemplateHandler = (uri: string, variables: TemplateVariables, ctx: HandlerContext) => ReadResourceResult | Promise<ReadResourceResult>;
export type CompleteHandler = (value: string, context: { arguments?: Record<string, string> }) => string[] | Promise<string[]>;

export interface ResourceTemplateOptions {
  /** Completion for template variables (server/utilities/completion). */
  complete?: Record<string, CompleteHandler>;
  /** Enumerates concrete resources of this template for resources/list. */
  list?: (ctx: HandlerContext) => Resource[] | Promise<Resource[]>;
}

function withMeta<T extends object>(base: T, m: ResourceMetadata): T {
  const out = base as Record<string, unknown>;
  for (const k of ['title', 'description', 'mimeType', 'annotations', 'size', 'icons', '_meta'] as const) {
    if (m[k] !== undefined) out[k] = m[k];
  }
  return base;
}

export class ResourceEntry implements Listed<Resource> {
  enabled = true;
  constructor(
    public uri: string,
    public metadata: ResourceMetadata,
    public read: ReadResourceHandler,
  ) {}
  wire(): Resource {
    return withMeta({ uri: this.uri, name: this.metadata.name ?? this.uri }, this.metadata);
  }
}

export class TemplateEntry implements Listed<ResourceTemplate> {
  enabled = true;
  readonly template: UriTemplate;
  constructor(
    public name: string,
    uriTemplate: string,
    public metadata: ResourceMetadata,
    public read: ReadTemplateHandler,
    public options: ResourceTemplateOptions = {},
  ) {
    this.template = new UriTemplate(uriTemplate);
  }
  wire(): ResourceTemplate {
    return withMeta({ uriTemplate: this.template.template, name: this.name }, this.metadata);
  }
}

export function resourceNotFound(uri: string): McpError {
  return new McpError(ErrorCode.ResourceNotFound, `Resource not found: ${uri}`, { uri });
}
