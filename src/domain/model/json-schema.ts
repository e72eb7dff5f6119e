import { DeploymentModelSchema, modelApiVersion } from './schema.js';

/** The identifier of the published model schema, used when no server address is known. */
export const modelSchemaId = 'urn:slipway:schema:deployment-model:v1';

/** Where the published schema's JSON Schema dialect is defined. */
export const jsonSchemaDialect = 'https://json-schema.org/draft/2020-12/schema';

/** `shell step` → `ShellStep`: the name a titled schema gets under `$defs`. */
function definitionName(title: string): string {
  return title
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => `${word[0]?.toUpperCase() ?? ''}${word.slice(1)}`)
    .join('');
}

/**
 * Moves every titled schema (the step types, the rollout strategies) into `$defs` and refers
 * to it from where it was used. TypeBox writes each use out in full; a step schema appears in
 * six lists, and editors read the smaller document faster.
 */
function hoistDefinitions(value: unknown, definitions: Map<string, unknown>, root: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => hoistDefinitions(item, definitions, false));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).map(([key, item]) => [
    key,
    hoistDefinitions(item, definitions, false),
  ]);
  const copy = Object.fromEntries(entries) as Record<string, unknown>;
  const title = copy.title;
  if (root || typeof title !== 'string') return copy;
  const name = definitionName(title);
  definitions.set(name, copy);
  return { $ref: `#/$defs/${name}` };
}

/**
 * The deployment model as a JSON Schema document, for editors (YAML language servers complete
 * and check models with it), for the API, and for docs/deployment-model.schema.json. Pass
 * `id` to publish it under the address it is served from.
 */
export function modelJsonSchema(options: { id?: string } = {}): Record<string, unknown> {
  const definitions = new Map<string, unknown>();
  // A JSON round trip drops TypeBox's symbol keys before the schema is rewritten.
  const plain: unknown = JSON.parse(JSON.stringify(DeploymentModelSchema));
  const body = hoistDefinitions(plain, definitions, true) as Record<string, unknown>;
  return {
    $schema: jsonSchemaDialect,
    $id: options.id ?? modelSchemaId,
    title: 'Slipway deployment model',
    description:
      `A repeatable approach to one type of deployment (apiVersion ${modelApiVersion}): what it applies to, ` +
      'the flow of stages through environments, and per stage its entry criteria, approvals, steps, rollout, ' +
      'acceptance checks and promotion. See docs/models.md.',
    ...body,
    $defs: Object.fromEntries(
      [...definitions.entries()].sort(([left], [right]) => left.localeCompare(right)),
    ),
  };
}
