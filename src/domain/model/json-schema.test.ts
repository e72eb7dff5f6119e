import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { jsonSchemaDialect, modelJsonSchema, modelSchemaId } from './json-schema.js';

const committed = new URL('../../../docs/deployment-model.schema.json', import.meta.url);
const examples = new URL('../../../examples/', import.meta.url);

describe('modelJsonSchema', () => {
  it('is a JSON Schema document with $schema, $id and title', () => {
    const schema = modelJsonSchema();
    expect(schema).toMatchObject({
      $schema: jsonSchemaDialect,
      $id: modelSchemaId,
      title: 'Slipway deployment model',
      type: 'object',
    });
    expect(modelJsonSchema({ id: 'https://slipway.example/api/v1/schemas/deployment-model.json' }).$id).toBe(
      'https://slipway.example/api/v1/schemas/deployment-model.json',
    );
  });

  it('refers to each step type and rollout strategy once, under $defs', () => {
    const schema = modelJsonSchema();
    expect(Object.keys(schema.$defs as object)).toEqual([
      'AllAtOnceRollout',
      'HttpCheckStep',
      'ManualStep',
      'ShellStep',
      'WaitStep',
    ]);
    expect(JSON.stringify(schema)).not.toContain('"title":"shell step"}');
  });

  it('matches docs/deployment-model.schema.json; run `npx tsx scripts/write-model-schema.ts` when it does not', () => {
    const written: unknown = JSON.parse(readFileSync(committed, 'utf8'));
    expect(written).toEqual(modelJsonSchema());
  });

  it('lets a standard JSON Schema validator accept every example and refuse broken models', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    const validate = ajv.compile(modelJsonSchema());
    const files = readdirSync(examples).filter((file) => file.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const valid = validate(parse(readFileSync(new URL(file, examples), 'utf8')));
      expect({ file, valid, errors: validate.errors ?? [] }).toEqual({ file, valid: true, errors: [] });
    }
    const broken = parse(readFileSync(new URL('web-service.yaml', examples), 'utf8')) as {
      stages: { steps: { type: string; timeout?: string }[] }[];
    };
    const step = broken.stages[0]?.steps[0];
    if (step !== undefined) step.timeout = '10 minutes';
    expect(validate(broken)).toBe(false);
  });
});
