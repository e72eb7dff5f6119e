import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import {
  formatModelProblem,
  type ModelProblem,
  maximumModelLength,
  parseModel,
  parseModelValue,
  validateModel,
  validateModelValue,
} from './parse.js';

const minimal = `apiVersion: slipway/v1
kind: DeploymentModel
name: minimal
appliesTo:
  componentKinds: [software]
stages:
  - name: dev
    environment: development
    steps:
      - name: hello
        type: shell
        command: echo hello
`;

function problemsOf(text: string): ModelProblem[] {
  const result = validateModel(text);
  if (result.valid) throw new Error('expected the model to be invalid');
  return result.problems;
}

describe('parseModel', () => {
  it('returns the typed model of valid YAML', () => {
    const model = parseModel(minimal);
    expect(model.name).toBe('minimal');
    expect(model.stages[0]?.steps[0]).toEqual({ name: 'hello', type: 'shell', command: 'echo hello' });
  });

  it('expands anchors, aliases and merge keys, so steps can be reused', () => {
    const text = minimal
      .replace(
        '        command: echo hello\n',
        '        command: echo hello\n      - <<: *hello\n        name: hello-again\n        timeout: 1m\n',
      )
      .replace('      - name: hello', '      - &hello\n        name: hello');
    const model = parseModel(text);
    expect(model.stages[0]?.steps[1]).toEqual({
      name: 'hello-again',
      type: 'shell',
      command: 'echo hello',
      timeout: '1m',
    });
  });

  it('accepts JSON, which is YAML too', () => {
    const model = parseModel(JSON.stringify(parseModel(minimal)));
    expect(model).toEqual(parseModel(minimal));
  });

  it('throws an InputError whose problems carry path, message, line and column', () => {
    const text = minimal.replace('type: shell', 'type: shel');
    let thrown: unknown;
    try {
      parseModel(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    const error = thrown as InputError;
    expect(error.code).toBe('validation_failed');
    expect(error.problems).toEqual([
      {
        path: '/stages/0/steps/0/type',
        message: 'must be one of shell, http-check, wait, manual; found "shel" (did you mean shell?)',
        line: 11,
        column: 15,
      },
    ]);
    expect(error.message).toBe(
      'The deployment model has 1 problem; the first: line 11, column 15: /stages/0/steps/0/type must be one of ' +
        'shell, http-check, wait, manual; found "shel" (did you mean shell?). Fix them and validate again.',
    );
    expect(error.details).toEqual({ problems: error.problems });
  });
});

describe('validateModel locates problems in the text', () => {
  it('points at a value of the wrong type', () => {
    const text = `apiVersion: slipway/v1
kind: DeploymentModel
name: typed
appliesTo:
  componentKinds: [software]
stages:
  - name: dev
    environment: development
    steps:
      - name: check
        type: http-check
        url: https://example.test/health
        retries: many
        expect:
          status: "200"
`;
    expect(problemsOf(text)).toEqual([
      {
        path: '/stages/0/steps/0/retries',
        message: 'must be a whole number; found "many"',
        line: 13,
        column: 18,
      },
      {
        path: '/stages/0/steps/0/expect/status',
        message: 'must be a whole number; found "200"',
        line: 15,
        column: 19,
      },
    ]);
  });

  it('points at the key of an unknown field and suggests the field meant', () => {
    const text = minimal.replace('        command: echo hello', '        comand: echo hello');
    expect(problemsOf(text)).toEqual([
      {
        path: '/stages/0/steps/0/command',
        message: 'is required; give text',
        line: 10,
        column: 9,
      },
      {
        path: '/stages/0/steps/0/comand',
        message:
          'unknown field "comand" (did you mean command?); expected one of type, name, by, description, command, env, ' +
          'timeout, workingDir, safeToRepeat',
        line: 12,
        column: 9,
      },
    ]);
  });

  it('explains a step without a type, or written as plain text', () => {
    const untyped = minimal.replace('        type: shell\n', '');
    expect(problemsOf(untyped)).toEqual([
      {
        path: '/stages/0/steps/0/type',
        message: 'is required: must be one of shell, http-check, wait, manual',
        line: 10,
        column: 9,
      },
    ]);
    const text = minimal.replace(/ {6}- name: hello[\s\S]*$/, '      - echo hello\n');
    expect(problemsOf(text)).toEqual([
      {
        path: '/stages/0/steps/0',
        message: 'must be a mapping whose type is one of shell, http-check, wait, manual; found "echo hello"',
        line: 10,
        column: 9,
      },
    ]);
  });

  it('explains a requirement of the wrong shape and a bad environment variable name', () => {
    const text = minimal
      .replace('stages:', 'requirements: [5]\nstages:')
      .replace('command: echo hello', 'command: echo hello\n        env: { "bad key": x }');
    expect(problemsOf(text)).toEqual([
      {
        path: '/requirements/0',
        message: 'must be text or a mapping with expression; found the number 5',
        line: 6,
        column: 16,
      },
      {
        path: '/stages/0/steps/0/env/bad key',
        message:
          '"bad key" is not a valid key: expected an environment variable name: letters, digits and underscore, not starting with a digit',
        line: 14,
        column: 16,
      },
    ]);
  });

  it('says what a duration looks like', () => {
    const text = minimal.replace(
      '        command: echo hello',
      '        command: echo hello\n        timeout: 10 minutes',
    );
    expect(problemsOf(text)).toEqual([
      {
        path: '/stages/0/steps/0/timeout',
        message:
          'must be a duration like 30s, 15m, 2h or 1d (combine units largest first, as in 1h30m); found "10 minutes"',
        line: 13,
        column: 18,
      },
    ]);
  });

  it('lists the allowed values of an enumeration', () => {
    const text = minimal.replace('componentKinds: [software]', 'componentKinds: [software, firmware]');
    expect(problemsOf(text)).toEqual([
      {
        path: '/appliesTo/componentKinds/1',
        message:
          'must be one of software, infrastructure, hardware, documentation, licence, data, process; found "firmware"',
        line: 5,
        column: 30,
      },
    ]);
  });

  it('points at the mapping that misses a required field', () => {
    const text = minimal.replace('name: minimal\n', '');
    expect(problemsOf(text)).toEqual([
      {
        path: '/name',
        message:
          'is required; give a name of letters, digits, dot, dash and underscore, starting with a letter or digit',
        line: 1,
        column: 1,
      },
    ]);
  });

  it('points at a key given without a value', () => {
    const text = minimal.replace(/ {4}steps:\n[\s\S]*$/, '    steps:\n');
    expect(problemsOf(text)).toEqual([
      { path: '/stages/0/steps', message: 'must be a list; found nothing', line: 9, column: 5 },
    ]);
  });

  it('reports a requirement that does not parse at its line', () => {
    const text = minimal.replace(
      'stages:',
      'requirements:\n  - os == linux\n  - disk_free_gb >== 10\nstages:',
    );
    expect(problemsOf(text)).toEqual([
      {
        path: '/requirements/1',
        message:
          '"disk_free_gb >== 10" uses an unknown operator; use ==, !=, <, <=, >, >=, in [...] or exists',
        line: 8,
        column: 5,
      },
    ]);
  });

  it('locates problems in JSON text by line and column too', () => {
    const text = JSON.stringify(
      {
        apiVersion: 'slipway/v1',
        kind: 'DeploymentModel',
        name: 'json',
        appliesTo: { componentKinds: ['data'] },
        stages: [{ name: 'load', tier: 'tset', steps: [{ name: 'pause', type: 'wait', duration: '5m' }] }],
      },
      null,
      2,
    );
    expect(problemsOf(text)).toEqual([
      {
        path: '/stages/0/tier',
        message: 'must be one of development, integration, test, staging, live; found "tset"',
        line: 13,
        column: 15,
      },
    ]);
  });

  it('orders problems as they appear in the text', () => {
    const text = minimal
      .replace('kind: DeploymentModel', 'kind: Model')
      .replace('environment: development', 'environment: development\n    promotion: later');
    const problems = problemsOf(text);
    expect(problems.map((problem) => problem.line)).toEqual([2, 9]);
  });
});

describe('validateModel refuses text that is not a model', () => {
  it('reports YAML syntax errors with their position', () => {
    const problems = problemsOf('apiVersion: slipway/v1\nkind: [DeploymentModel\nname: x\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: '', line: 3, column: 1 });
    expect(problems[0]?.message).toMatch(/^is not valid YAML: /);
  });

  it('reports duplicate keys', () => {
    const problems = problemsOf(minimal.replace('name: minimal', 'name: minimal\nname: again'));
    expect(problems[0]).toMatchObject({ path: '', line: 4, column: 1 });
    expect(problems[0]?.message).toContain('Map keys must be unique');
  });

  it('refuses several documents in one file', () => {
    const problems = problemsOf(`${minimal}---\n${minimal}`);
    expect(problems[0]?.message).toBe('holds several YAML documents; a model file holds exactly one');
  });

  it('refuses an empty text and a text that is not a mapping', () => {
    expect(problemsOf('')[0]?.message).toContain('is empty');
    expect(problemsOf('# only a comment\n')[0]?.message).toContain('is empty');
    expect(problemsOf('- a\n- b\n')).toEqual([
      {
        path: '',
        message: 'must be a mapping with apiVersion, kind, name, appliesTo, stages; found a list',
        line: 1,
        column: 1,
      },
    ]);
  });

  it('refuses a wrong apiVersion or kind', () => {
    const problems = problemsOf(minimal.replace('slipway/v1', 'slipway/v2'));
    expect(problems).toEqual([
      { path: '/apiVersion', message: 'must be slipway/v1; found "slipway/v2"', line: 1, column: 13 },
    ]);
  });

  it('refuses very long texts before parsing them', () => {
    const problems = problemsOf(`# ${'x'.repeat(maximumModelLength)}\n${minimal}`);
    expect(problems[0]?.message).toContain('a model may be at most');
  });

  it('refuses alias bombs instead of expanding them', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    expect(problemsOf(bomb)[0]?.message).toMatch(/^cannot be read: /);
  });
});

describe('validateModelValue', () => {
  it('validates a value without positions', () => {
    const value = { ...parseModel(minimal), name: 'has space' };
    const result = validateModelValue(value);
    expect(result.valid).toBe(false);
    if (!result.valid) {
      expect(result.problems).toEqual([
        {
          path: '/name',
          message:
            'must be a name of letters, digits, dot, dash and underscore, starting with a letter or digit; found "has space"',
        },
      ]);
    }
    expect(() => parseModelValue(value)).toThrow(InputError);
    expect(parseModelValue(parseModel(minimal)).name).toBe('minimal');
  });
});

describe('formatModelProblem', () => {
  it('prints position, path and message', () => {
    expect(formatModelProblem({ path: '/name', message: 'is required', line: 3, column: 1 })).toBe(
      'line 3, column 1: /name is required',
    );
    expect(formatModelProblem({ path: '', message: 'is empty' })).toBe('the model is empty');
  });
});
