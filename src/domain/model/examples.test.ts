import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileModel } from './compile.js';
import { formatModelProblem, validateModel } from './parse.js';
import { planDeployment } from './plan.js';

const directory = new URL('../../../examples/', import.meta.url);
const files = readdirSync(directory).filter((file) => /\.(ya?ml|json)$/.test(file));

describe('examples/', () => {
  it('holds the models the documentation promises', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'datacenter-hardware.yaml',
        'documentation-publish.yaml',
        'infrastructure-change.yaml',
        'licence-activation.yaml',
        'web-service.yaml',
      ]),
    );
  });

  describe.each(files)('%s', (file) => {
    const text = readFileSync(new URL(file, directory), 'utf8');

    it('is a valid model named after its file', () => {
      const result = validateModel(text);
      expect(result.valid ? [] : result.problems.map(formatModelProblem)).toEqual([]);
      if (result.valid) expect(`${result.model.name}.yaml`).toBe(file);
    });

    it('compiles and plans every stage', () => {
      const result = validateModel(text);
      if (!result.valid) throw result.error;
      const compiled = compileModel(result.model);
      const plan = planDeployment({
        model: result.model,
        version: '1.0.0',
        component: 'example',
        targets: [],
      });
      expect(plan.stages.map((stage) => stage.name)).toEqual(compiled.stages.map((stage) => stage.name));
    });
  });
});
