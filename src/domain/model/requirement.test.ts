import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import {
  evaluateRequirement,
  evaluateRequirements,
  parseRequirement,
  type Requirement,
} from './requirement.js';

function parsed(expression: string, description?: string): Requirement {
  const result = parseRequirement(expression, description);
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

describe('parseRequirement', () => {
  it('reads comparisons with typed values', () => {
    expect(parsed('os == linux')).toMatchObject({ fact: 'os', operator: '==', value: 'linux' });
    expect(parsed('disk_free_gb>=10')).toMatchObject({ fact: 'disk_free_gb', operator: '>=', value: 10 });
    expect(parsed('power_backup == true')).toMatchObject({ operator: '==', value: true });
    expect(parsed('load < -0.5')).toMatchObject({ operator: '<', value: -0.5 });
    expect(parsed('zone != "eu west"')).toMatchObject({ operator: '!=', value: 'eu west' });
    expect(parsed("count == '10'")).toMatchObject({ value: '10' });
    expect(parsed('node_version >= 20.10')).toMatchObject({ value: 20.1, literal: '20.10' });
    expect(parsed('kernel > 5.15.0')).toMatchObject({ operator: '>', value: '5.15.0' });
    expect(parsed('mount:/var/free_gb <= 3')).toMatchObject({ fact: 'mount:/var/free_gb', operator: '<=' });
  });

  it('reads membership and existence', () => {
    expect(parsed('os in [linux, "gnu linux", 7, true]')).toMatchObject({
      fact: 'os',
      operator: 'in',
      values: ['linux', 'gnu linux', 7, true],
    });
    expect(parsed('exists gpu_model')).toMatchObject({ fact: 'gpu_model', operator: 'exists' });
  });

  it('keeps the expression as written and the reason given for it', () => {
    const result = parseRequirement(' rack_units_free >= 2 ', 'two-unit servers');
    expect(result.ok && result.value).toMatchObject({
      expression: 'rack_units_free >= 2',
      description: 'two-unit servers',
    });
  });

  it.each([
    ['os', 'expected a requirement like'],
    ['os linux', 'expected a requirement like'],
    ['exists', 'expected a requirement like'],
    ['os ==', 'expected a requirement like'],
    ['os === linux', 'unknown operator'],
    ['os => linux', 'expected a requirement like'],
    ['disk >= big', 'needs a number or a version'],
    ['backup > true', 'orders a boolean'],
    ['os in []', 'lists no values'],
    ['os in [linux, "darwin]', 'no closing'],
    ['zone == eu west', 'put it in quotes'],
    ['1os == linux', 'expected a requirement like'],
  ])('refuses %j, saying what is expected', (expression, message) => {
    const result = parseRequirement(expression);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });
});

describe('evaluateRequirement', () => {
  it.each([
    ['os == linux', { os: 'linux' }, true],
    ['os == linux', { os: 'Linux' }, false],
    ['os != windows', { os: 'linux' }, true],
    ['os != linux', { os: 'linux' }, false],
    ['disk_free_gb >= 10', { disk_free_gb: 10 }, true],
    ['disk_free_gb >= 10', { disk_free_gb: 9.5 }, false],
    ['disk_free_gb > 10', { disk_free_gb: 10 }, false],
    ['disk_free_gb > 10', { disk_free_gb: 11 }, true],
    ['load < 1', { load: 0.2 }, true],
    ['load < 1', { load: 1 }, false],
    ['load <= 1', { load: 1 }, true],
    ['load <= 1', { load: 2 }, false],
    ['cpus == 4', { cpus: 4 }, true],
    ['cpus != 4', { cpus: 8 }, true],
    ['os in [linux, darwin]', { os: 'darwin' }, true],
    ['os in [linux, darwin]', { os: 'windows' }, false],
    ['cpus in [2, 4]', { cpus: 4 }, true],
    ['exists gpu', { gpu: 'a100' }, true],
    ['exists gpu', { gpu: false }, true],
  ] as const)('%s with %j → %s', (expression, facts, passed) => {
    expect(evaluateRequirement(expression, facts).passed).toBe(passed);
  });

  it('compares booleans, also when a declared fact arrives as text', () => {
    expect(evaluateRequirement('power_backup == true', { power_backup: true }).passed).toBe(true);
    expect(evaluateRequirement('power_backup == true', { power_backup: false }).passed).toBe(false);
    expect(evaluateRequirement('power_backup == true', { power_backup: 'TRUE' }).passed).toBe(true);
    expect(evaluateRequirement('power_backup != true', { power_backup: 'false' }).passed).toBe(true);
    const wrongType = evaluateRequirement('power_backup == true', { power_backup: 'yes' });
    expect(wrongType.passed).toBe(false);
    expect(wrongType.message).toBe(
      'power_backup must be true, but the target reports yes, which is not true or false; correct the fact on the target.',
    );
  });

  it('compares numbers numerically, also when a fact arrives as text', () => {
    expect(evaluateRequirement('rack_units_free >= 2', { rack_units_free: '12' }).passed).toBe(true);
    expect(evaluateRequirement('rack_units_free >= 12', { rack_units_free: '2' }).passed).toBe(false);
    const notANumber = evaluateRequirement('rack_units_free >= 2', { rack_units_free: 'plenty' });
    expect(notANumber.passed).toBe(false);
    expect(notANumber.message).toContain('which is not a number');
  });

  it('compares versions segment by segment, not as text or decimals', () => {
    expect(evaluateRequirement('node_version >= 20', { node_version: '20.19.0' }).passed).toBe(true);
    expect(evaluateRequirement('node_version >= 20.10', { node_version: '20.9.0' }).passed).toBe(false);
    expect(evaluateRequirement('node_version >= 20.10', { node_version: 'v20.11.1' }).passed).toBe(true);
    expect(evaluateRequirement('kernel < 6.1.0', { kernel: '5.15.0' }).passed).toBe(true);
    expect(evaluateRequirement('kernel == 5.15', { kernel: '5.15.0' }).passed).toBe(true);
    expect(evaluateRequirement('kernel > 5.15.0', { kernel: 'five' }).message).toContain(
      'which is not a version',
    );
  });

  it('words failures the way a person would say them', () => {
    expect(evaluateRequirement('os != windows', { os: 'windows' }).message).toBe(
      'os must not be windows, but the target reports windows.',
    );
    expect(evaluateRequirement('os == linux', { os: 'darwin' }).message).toBe(
      'os must be linux, but the target reports darwin.',
    );
    expect(evaluateRequirement('os in [linux, darwin]', { os: 'windows' }).message).toBe(
      'os must be one of linux, darwin, but the target reports windows.',
    );
    expect(evaluateRequirement('disk_free_gb >= 10', { disk_free_gb: 3 }).message).toBe(
      'disk_free_gb must be >= 10, but the target reports 3.',
    );
  });

  it('compares text exactly, and numbers written in quotes as text', () => {
    expect(evaluateRequirement('zone == "eu west"', { zone: 'eu west' }).passed).toBe(true);
    expect(evaluateRequirement("build == '10'", { build: 10 }).passed).toBe(true);
    expect(evaluateRequirement('arch == x86_64', { arch: 'x86_64' }).passed).toBe(true);
  });

  it('fails every operator on a missing fact and says how to supply it', () => {
    for (const expression of ['os == linux', 'os != windows', 'disk > 1', 'os in [linux]', 'exists os']) {
      const result = evaluateRequirement(expression, { hostname: 'web-1' });
      expect(result).toMatchObject({ passed: false, actual: undefined });
      expect(result.message).toContain('The target has no fact "');
      expect(result.message).toContain('have its agent report the fact or declare it on the target');
    }
  });

  it('does not read facts from the prototype chain', () => {
    expect(evaluateRequirement('exists toString', {}).passed).toBe(false);
  });

  it('reports what was expected and found, with the reason the model gives', () => {
    const result = evaluateRequirement(parsed('rack_units_free >= 2', 'the servers take two units'), {
      rack_units_free: 1,
    });
    expect(result).toEqual({
      requirement: 'rack_units_free >= 2',
      fact: 'rack_units_free',
      passed: false,
      expected: '>= 2',
      actual: 1,
      message: 'rack_units_free must be >= 2 (the servers take two units), but the target reports 1.',
    });
    expect(evaluateRequirement('os in [linux, darwin]', { os: 'linux' })).toMatchObject({
      expected: 'one of linux, darwin',
      message: 'os is linux, as required (one of linux, darwin).',
    });
    expect(evaluateRequirement('exists gpu', { gpu: 'a100' }).expected).toBe('present');
  });

  it('throws an InputError for an expression that does not parse', () => {
    expect(() => evaluateRequirement('os ===', {})).toThrow(InputError);
  });

  it('evaluates a list in order', () => {
    const results = evaluateRequirements(['os == linux', 'cpus >= 4'], { os: 'linux', cpus: 2 });
    expect(results.map((result) => [result.requirement, result.passed])).toEqual([
      ['os == linux', true],
      ['cpus >= 4', false],
    ]);
  });
});
