import { describe, expect, it } from 'vitest';
import type { FieldProblem } from '../errors.js';
import { validateModel, validateModelValue } from './parse.js';
import { findEarlierStage, modelRuleProblems, stepLists } from './rules.js';
import type { DeploymentModel, Stage } from './schema.js';

function stage(name: string, extra: Partial<Stage> = {}): Stage {
  return {
    name,
    environment: name,
    steps: [{ name: 'deploy', type: 'shell', command: 'echo {{ version }}' }],
    ...extra,
  };
}

function model(extra: Partial<DeploymentModel> = {}): DeploymentModel {
  return {
    apiVersion: 'slipway/v1',
    kind: 'DeploymentModel',
    name: 'rules',
    appliesTo: { componentKinds: ['software'] },
    stages: [stage('test'), stage('live')],
    ...extra,
  };
}

function problems(value: DeploymentModel): FieldProblem[] {
  const result = validateModelValue(value);
  return result.valid ? [] : result.problems;
}

describe('modelRuleProblems', () => {
  it('finds nothing wrong with a model that follows the rules', () => {
    expect(modelRuleProblems(model())).toEqual([]);
  });

  it('wants stage names to be unique', () => {
    expect(problems(model({ stages: [stage('test'), stage('test', { environment: 'other' })] }))).toEqual([
      {
        path: '/stages/1/name',
        message: 'repeats the stage name "test" of stage 1; stage names must be unique',
      },
    ]);
  });

  it('wants each stage to name exactly one of environment and tier', () => {
    const { environment: _omitted, ...withoutEnvironment } = stage('test');
    expect(problems(model({ stages: [withoutEnvironment] }))).toEqual([
      { path: '/stages/0', message: 'names neither environment nor tier: give exactly one of them' },
    ]);
    expect(problems(model({ stages: [stage('test', { tier: 'test' })] }))).toEqual([
      { path: '/stages/0/tier', message: 'is given together with environment: give only one of them' },
    ]);
  });

  it('wants each stage to deploy to its own environment or tier', () => {
    expect(
      problems(
        model({ stages: [stage('a', { environment: 'shared' }), stage('b', { environment: 'shared' })] }),
      ),
    ).toEqual([
      {
        path: '/stages/1/environment',
        message: 'repeats environment shared of stage 1; each stage deploys to its own environment',
      },
    ]);
    const { environment: _first, ...first } = stage('a', { tier: 'live' });
    const { environment: _second, ...second } = stage('b', { tier: 'live' });
    expect(problems(model({ stages: [first, second] }))[0]?.path).toBe('/stages/1/tier');
  });

  it('wants step names unique within a stage, across its steps and acceptance checks', () => {
    const duplicated = stage('test', {
      steps: [
        { name: 'deploy', type: 'shell', command: 'a' },
        { name: 'deploy', type: 'wait', duration: '1m' },
      ],
      acceptance: [{ name: 'deploy', type: 'http-check', url: 'https://example.test' }],
    });
    expect(problems(model({ stages: [duplicated] }))).toEqual([
      {
        path: '/stages/0/steps/1/name',
        message:
          'repeats the step name "deploy" (first used at /stages/0/steps/0/name); step names must be unique within a stage',
      },
      {
        path: '/stages/0/acceptance/0/name',
        message:
          'repeats the step name "deploy" (first used at /stages/0/steps/0/name); step names must be unique within a stage',
      },
    ]);
  });

  it('lets rollback and removal lists reuse names of the stage, but not their own', () => {
    const reused = model({
      stages: [stage('test', { rollback: [{ name: 'deploy', type: 'shell', command: 'undo' }] })],
      removal: [
        { name: 'stop', type: 'shell', command: 'stop' },
        { name: 'stop', type: 'shell', command: 'stop again' },
      ],
    });
    expect(problems(reused)).toEqual([
      {
        path: '/removal/1/name',
        message:
          'repeats the step name "stop" (first used at /removal/0/name); step names must be unique within the list',
      },
    ]);
  });

  it('parses requirement expressions of the model and of each stage', () => {
    const broken = model({
      requirements: ['os == linux', { expression: 'disk >> 3', description: 'space' }],
      stages: [stage('test', { requirements: ['exists'] }), stage('live')],
    });
    expect(problems(broken)).toEqual([
      {
        path: '/requirements/1/expression',
        message: '"disk >> 3" uses an unknown operator; use ==, !=, <, <=, >, >=, in [...] or exists',
      },
      {
        path: '/stages/0/requirements/0',
        message:
          'expected a requirement like "os == linux", "disk_free_gb >= 10", "os in [linux, darwin]" or "exists gpu_model", found "exists"',
      },
    ]);
  });

  it('parses entry criteria and wants them to name an earlier stage', () => {
    const flow = model({
      stages: [
        stage('test', { entryCriteria: ['succeeded in live'] }),
        stage('staging', {
          entryCriteria: ['succeeded in test', 'soaked 2h in stagin', 'soaked two hours in test'],
        }),
        stage('live', { entryCriteria: ['succeeded in live'] }),
      ],
    });
    expect(problems(flow)).toEqual([
      {
        path: '/stages/0/entryCriteria/0',
        message:
          'refers to "live", which is not an earlier stage; the first stage has no earlier stage to refer to',
      },
      {
        path: '/stages/1/entryCriteria/1',
        message:
          'refers to "stagin", which is not an earlier stage; name one of test (environment test) by stage, environment or tier',
      },
      {
        path: '/stages/1/entryCriteria/2',
        message:
          'expected an entry criterion like "succeeded in staging" or "soaked 2h in staging", found "soaked two hours in test"',
      },
      {
        path: '/stages/2/entryCriteria/0',
        message: 'refers to this stage itself; an entry criterion names an earlier stage',
      },
    ]);
  });

  it('resolves an entry criterion by stage name, environment or tier', () => {
    const { environment: _omitted, ...byTier } = stage('qa', { tier: 'test' });
    const flow = model({
      stages: [stage('dev', { environment: 'development' }), byTier, stage('live')],
    });
    expect(findEarlierStage(flow, 2, 'dev')).toBe(0);
    expect(findEarlierStage(flow, 2, 'development')).toBe(0);
    expect(findEarlierStage(flow, 2, 'test')).toBe(1);
    expect(findEarlierStage(flow, 2, 'qa')).toBe(1);
    expect(findEarlierStage(flow, 1, 'qa')).toBeUndefined();
    expect(findEarlierStage(flow, 2, 'live')).toBeUndefined();
  });

  it('wants durations longer than zero wherever they appear', () => {
    const zero = model({
      timeouts: { step: '0s' },
      stages: [
        stage('test', {
          timeouts: { manualStep: '0m' },
          approvals: [{ by: { role: 'deployment-manager' }, expiresAfter: '0h' }],
          steps: [
            { name: 'pause', type: 'wait', duration: '0s' },
            { name: 'check', type: 'http-check', url: 'https://x.test', interval: '0s', timeout: '0s' },
          ],
        }),
      ],
    });
    expect(problems(zero).map((problem) => problem.path)).toEqual([
      '/timeouts/step',
      '/stages/0/timeouts/manualStep',
      '/stages/0/approvals/0/expiresAfter',
      '/stages/0/steps/0/duration',
      '/stages/0/steps/1/interval',
      '/stages/0/steps/1/timeout',
    ]);
    expect(problems(zero)[0]?.message).toBe('a duration must be longer than zero, found "0s"');
  });

  it('wants every actor to name one role or one declared party', () => {
    const actors = model({
      responsibilities: [{ party: 'northwind', kind: 'supplier', does: ['install'] }],
      stages: [
        stage('test', {
          approvals: [{ by: {} }, { by: { role: 'change-authority', party: 'northwind' } }],
          steps: [
            { name: 'ship', type: 'manual', task: 'Ship it', assignee: { party: 'northwnd' } },
            { name: 'run', type: 'shell', command: 'x', by: { party: 'southwind' } },
            { name: 'fine', type: 'manual', task: 'Rack it', assignee: { party: 'northwind' } },
          ],
        }),
      ],
    });
    expect(problems(actors)).toEqual([
      { path: '/stages/0/approvals/0/by', message: 'names nobody: give either role or party' },
      { path: '/stages/0/approvals/1/by', message: 'names both a role and a party: give only one' },
      {
        path: '/stages/0/steps/0/assignee/party',
        message:
          'names the party "northwnd", which is not declared under responsibilities (did you mean northwind?); ' +
          'declare it there with what it does',
      },
      {
        path: '/stages/0/steps/1/by/party',
        message:
          'names the party "southwind", which is not declared under responsibilities (did you mean northwind?); ' +
          'declare it there with what it does',
      },
    ]);
  });

  it('wants a manual step not to name two different parties', () => {
    const conflicting = model({
      stages: [
        stage('test', {
          steps: [
            {
              name: 'check',
              type: 'manual',
              task: 'Check',
              assignee: { role: 'practitioner' },
              by: { role: 'service-owner' },
            },
          ],
        }),
      ],
    });
    expect(problems(conflicting)).toEqual([
      {
        path: '/stages/0/steps/0/by',
        message: 'names role service-owner but the task is assigned to role practitioner; keep only assignee',
      },
    ]);
  });

  it('wants responsibilities to name one role or party each, once', () => {
    const responsibilities = model({
      responsibilities: [
        { role: 'practitioner', kind: 'supplier' },
        { role: 'practitioner' },
        {},
        { role: 'auditor', party: 'x' },
      ],
    });
    expect(problems(responsibilities)).toEqual([
      { path: '/responsibilities/0/kind', message: 'applies only to a party; a role has no kind' },
      { path: '/responsibilities/1', message: 'repeats role practitioner; list each role or party once' },
      { path: '/responsibilities/2', message: 'names nobody: give either role or party' },
      { path: '/responsibilities/3', message: 'names both a role and a party: give one per entry' },
    ]);
  });

  it('wants placeholders Slipway knows, and suggests the one meant', () => {
    const typo = model({
      stages: [
        stage('test', {
          steps: [
            {
              name: 'deploy',
              type: 'shell',
              command: 'deploy {{ verison }}',
              env: { TARGET: '{{ target.ip }}' },
            },
          ],
        }),
      ],
    });
    const found = problems(typo);
    expect(found.map((problem) => problem.path)).toEqual([
      '/stages/0/steps/0/command',
      '/stages/0/steps/0/env/TARGET',
    ]);
    expect(found[0]?.message).toContain(
      'uses the unknown placeholder {{ verison }} (did you mean {{ version }}?)',
    );
    expect(found[1]?.message).toContain('known placeholders are version, component');
  });

  it('wants an approval before a step to name a step of its stage', () => {
    const approval = model({
      stages: [
        stage('test', { approvals: [{ by: { role: 'change-authority' }, before: 'deplyo' }] }),
        stage('live'),
      ],
    });
    expect(problems(approval)).toEqual([
      {
        path: '/stages/0/approvals/0/before',
        message: 'names the step "deplyo", which is not a step of this stage (did you mean deploy?)',
      },
    ]);
  });

  it('refuses automatic promotion out of the last stage', () => {
    expect(problems(model({ stages: [stage('test'), stage('live', { promotion: 'automatic' })] }))).toEqual([
      {
        path: '/stages/1/promotion',
        message: 'is automatic, but this is the last stage and there is nothing to promote to; remove it',
      },
    ]);
  });

  it('locates rule problems in the YAML text', () => {
    const result = validateModel(`apiVersion: slipway/v1
kind: DeploymentModel
name: located
appliesTo: { componentKinds: [software] }
stages:
  - name: test
    environment: test
    steps:
      - { name: a, type: wait, duration: 1m }
  - name: test
    environment: live
    entryCriteria: [soaked 2h in tset]
    steps:
      - { name: a, type: wait, duration: 1m }
`);
    expect(result.valid).toBe(false);
    if (!result.valid) {
      expect(result.problems.map(({ path, line, column }) => ({ path, line, column }))).toEqual([
        { path: '/stages/1/name', line: 10, column: 11 },
        { path: '/stages/1/entryCriteria/0', line: 12, column: 21 },
      ]);
    }
  });
});

describe('stepLists', () => {
  it('lists every step list of the model with its path', () => {
    const lists = stepLists(
      model({
        stages: [
          stage('test', {
            acceptance: [{ name: 'check', type: 'http-check', url: 'https://x.test' }],
            rollback: [{ name: 'undo', type: 'shell', command: 'undo' }],
            removal: [{ name: 'remove', type: 'shell', command: 'remove' }],
          }),
        ],
        rollback: [{ name: 'undo', type: 'shell', command: 'undo' }],
        removal: [{ name: 'remove', type: 'shell', command: 'remove' }],
      }),
    );
    expect(lists.map((list) => list.path)).toEqual([
      '/stages/0/steps',
      '/stages/0/acceptance',
      '/stages/0/rollback',
      '/stages/0/removal',
      '/rollback',
      '/removal',
    ]);
  });
});
