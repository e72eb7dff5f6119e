import type { Facts } from '../environments.js';

/*
 * Step fields may carry placeholders such as `{{ version }}` or `{{ target.facts.hostname }}`.
 * Only names are placeholders: `{{ .Names }}` (a Go template for docker) or `{{ item | x }}`
 * are left alone, so tools that use braces themselves keep working. `\{{` writes a literal
 * `{{` where a name would otherwise be read as a placeholder.
 */

/** The placeholder names that need no prefix. */
export const simplePlaceholders = [
  'version',
  'component',
  'service',
  'environment',
  'tier',
  'stage',
  'model',
  'deployment.id',
  'target.name',
  'target.kind',
] as const;
/** A placeholder name that needs no prefix. */
export type SimplePlaceholder = (typeof simplePlaceholders)[number];

/** Placeholder prefixes followed by a key of the target's labels or facts. */
export const prefixedPlaceholders = ['target.labels.', 'target.facts.'] as const;

/** The values placeholders are replaced with; anything missing stays unbound. */
export interface TemplateContext {
  version?: string;
  component?: string;
  service?: string;
  environment?: string;
  tier?: string;
  stage?: string;
  model?: string;
  deployment?: { id: string };
  target?: {
    name: string;
    kind?: string;
    labels?: Readonly<Record<string, string>>;
    facts?: Readonly<Facts>;
  };
}

/** One placeholder found in a template. */
export interface Placeholder {
  /** The name between the braces, e.g. `target.facts.hostname`. */
  name: string;
  /** The text as written, e.g. `{{ target.facts.hostname }}`. */
  text: string;
  /** Offset of the opening braces in the template. */
  offset: number;
}

/** What rendering produced and which placeholders it could not fill. */
export interface RenderedTemplate {
  text: string;
  /** Placeholders whose names Slipway does not know; probably typing mistakes. */
  unknown: string[];
  /** Known placeholders the context had no value for, e.g. a fact the target lacks. */
  unbound: string[];
}

const tokenPattern = /\\\{\{|\{\{\s*([A-Za-z_][A-Za-z0-9_.:/-]*)\s*\}\}/g;

/** Lists the placeholders of a template, in order. */
export function findPlaceholders(template: string): Placeholder[] {
  const found: Placeholder[] = [];
  for (const match of template.matchAll(tokenPattern)) {
    const name = match[1];
    if (name === undefined) continue;
    found.push({ name, text: match[0], offset: match.index });
  }
  return found;
}

/** Whether Slipway knows how to fill a placeholder of this name. */
export function isKnownPlaceholder(name: string): boolean {
  if ((simplePlaceholders as readonly string[]).includes(name)) return true;
  return prefixedPlaceholders.some((prefix) => name.startsWith(prefix) && name.length > prefix.length);
}

/** The placeholders of a template that Slipway does not know. */
export function unknownPlaceholders(template: string): string[] {
  return unique(
    findPlaceholders(template)
      .map((placeholder) => placeholder.name)
      .filter((name) => !isKnownPlaceholder(name)),
  );
}

function placeholderValue(name: string, context: TemplateContext): string | undefined {
  switch (name) {
    case 'version':
      return context.version;
    case 'component':
      return context.component;
    case 'service':
      return context.service;
    case 'environment':
      return context.environment;
    case 'tier':
      return context.tier;
    case 'stage':
      return context.stage;
    case 'model':
      return context.model;
    case 'deployment.id':
      return context.deployment?.id;
    case 'target.name':
      return context.target?.name;
    case 'target.kind':
      return context.target?.kind;
  }
  if (name.startsWith('target.labels.')) {
    return context.target?.labels?.[name.slice('target.labels.'.length)];
  }
  if (name.startsWith('target.facts.')) {
    const fact = context.target?.facts?.[name.slice('target.facts.'.length)];
    return fact === undefined ? undefined : String(fact);
  }
  return undefined;
}

/**
 * Replaces placeholders with values from the context. Unknown and unbound placeholders stay
 * in the text as written and are reported, so a dry run can show what is still open.
 */
export function renderTemplate(template: string, context: TemplateContext): RenderedTemplate {
  const unknown: string[] = [];
  const unbound: string[] = [];
  const text = template.replace(tokenPattern, (whole: string, name: string | undefined) => {
    if (name === undefined) return '{{';
    if (!isKnownPlaceholder(name)) {
      unknown.push(name);
      return whole;
    }
    const value = placeholderValue(name, context);
    if (value === undefined) {
      unbound.push(name);
      return whole;
    }
    return value;
  });
  return { text, unknown: unique(unknown), unbound: unique(unbound) };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * The context as flat `name → value` pairs, e.g. `{ version: '1.2.3', 'target.facts.os': 'linux' }`:
 * the form executors use to pass the values on, for instance as environment variables.
 */
export function templateVariables(context: TemplateContext): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const name of simplePlaceholders) {
    const value = placeholderValue(name, context);
    if (value !== undefined) variables[name] = value;
  }
  for (const [key, value] of Object.entries(context.target?.labels ?? {}))
    variables[`target.labels.${key}`] = value;
  for (const [key, value] of Object.entries(context.target?.facts ?? {}))
    variables[`target.facts.${key}`] = String(value);
  return variables;
}

/** Rebuilds a context from flat variables, the inverse of templateVariables (facts come back as text). */
export function templateContextFromVariables(variables: Readonly<Record<string, string>>): TemplateContext {
  const context: TemplateContext = {};
  const labels: Record<string, string> = {};
  const facts: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    if (name.startsWith('target.labels.')) labels[name.slice('target.labels.'.length)] = value;
    else if (name.startsWith('target.facts.')) facts[name.slice('target.facts.'.length)] = value;
  }
  for (const name of ['version', 'component', 'service', 'environment', 'tier', 'stage', 'model'] as const) {
    const value = variables[name];
    if (value !== undefined) context[name] = value;
  }
  const deploymentId = variables['deployment.id'];
  const targetName = variables['target.name'];
  const targetKind = variables['target.kind'];
  if (deploymentId !== undefined) context.deployment = { id: deploymentId };
  if (targetName !== undefined) {
    context.target = {
      name: targetName,
      labels,
      facts,
      ...(targetKind === undefined ? {} : { kind: targetKind }),
    };
  }
  return context;
}
