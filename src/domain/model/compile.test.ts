import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { compileModel, modelAppliesTo, stageForEnvironment } from './compile.js';
import { parseModel } from './parse.js';
import type { DeploymentModel } from './schema.js';

const model = parseModel(`apiVersion: slipway/v1
kind: DeploymentModel
name: compiled
appliesTo:
  componentKinds: [software, data]
  services: [shop]
  labels: { runtime: node }
responsibilities:
  - party: acme
    kind: supplier
requirements: [os == linux]
timeouts:
  step: 20m
  deployment: 1d
stages:
  - name: test
    environment: test
    promotion: automatic
    timeouts: { manualStep: 2d, stage: 1h }
    steps:
      - { name: install, type: shell, command: ./install.sh, safeToRepeat: true }
      - { name: quick, type: shell, command: ./quick.sh, timeout: 30s }
      - { name: sign, type: manual, task: Sign, assignee: { party: acme } }
      - { name: pause, type: wait, duration: 2m }
    acceptance:
      - { name: health, type: http-check, url: "https://x.test", retries: 2, interval: 5s, timeout: 10s, by: { role: practitioner } }
    rollback:
      - { name: stage-undo, type: shell, command: ./undo-test.sh }
  - name: live
    tier: live
    entryCriteria: [soaked 2h in test]
    requirements: [memory_gb >= 4]
    approvals:
      - by: { role: change-authority }
        count: 2
        before: install
        expiresAfter: 4h
    onLostTarget: skip
    steps:
      - { name: install, type: shell, command: ./install.sh }
      - { name: sign, type: manual, task: Sign, assignee: { role: service-owner } }
rollback:
  - { name: undo, type: shell, command: ./undo.sh }
removal:
  - { name: remove, type: shell, command: ./remove.sh }
`);

describe('compileModel', () => {
  const compiled = compileModel(model);
  const [test, live] = compiled.stages;

  it('applies the stage defaults', () => {
    expect(test).toMatchObject({
      promotion: 'automatic',
      onLostTarget: 'fail',
      rollout: { strategy: 'all-at-once' },
    });
    expect(live).toMatchObject({ promotion: 'manual', onLostTarget: 'skip', tier: 'live' });
    expect(test?.next).toBe('live');
    expect(live?.next).toBeUndefined();
    expect(test?.timeoutMilliseconds).toBe(3_600_000);
    expect(live?.timeoutMilliseconds).toBeUndefined();
    expect(compiled.deploymentTimeoutMilliseconds).toBe(86_400_000);
  });

  it('works out each step timeout from the step, its stage, the model and the defaults', () => {
    const timeouts = Object.fromEntries(
      (test?.steps ?? []).map((step) => [step.name, step.timeoutMilliseconds]),
    );
    expect(timeouts).toEqual({ install: 1_200_000, quick: 30_000, sign: 172_800_000, pause: 120_000 });
    expect(live?.steps.find((step) => step.name === 'sign')?.timeoutMilliseconds).toBe(7 * 86_400_000);
    // Three tries of up to 10s with 5s pauses between them.
    expect(test?.acceptance[0]?.timeoutMilliseconds).toBe(40_000);
  });

  it('says which steps are automated and safe to repeat, and who does them', () => {
    expect(
      test?.steps.map(({ name, automated, safeToRepeat, actor }) => ({
        name,
        automated,
        safeToRepeat,
        actor,
      })),
    ).toEqual([
      { name: 'install', automated: true, safeToRepeat: true, actor: undefined },
      { name: 'quick', automated: true, safeToRepeat: false, actor: undefined },
      { name: 'sign', automated: false, safeToRepeat: true, actor: { party: 'acme' } },
      { name: 'pause', automated: true, safeToRepeat: true, actor: undefined },
    ]);
    expect(test?.steps[3]?.waitMilliseconds).toBe(120_000);
    expect(test?.acceptance[0]).toMatchObject({ phase: 'acceptance', actor: { role: 'practitioner' } });
  });

  it('adds the stage requirements to the model requirements', () => {
    expect(test?.requirements.map((requirement) => requirement.expression)).toEqual(['os == linux']);
    expect(live?.requirements.map((requirement) => requirement.expression)).toEqual([
      'os == linux',
      'memory_gb >= 4',
    ]);
  });

  it('uses stage rollback and removal steps where given, else the model’s', () => {
    expect(test?.rollback.map((step) => [step.phase, step.name])).toEqual([['rollback', 'stage-undo']]);
    expect(live?.rollback.map((step) => step.name)).toEqual(['undo']);
    expect(live?.removal.map((step) => [step.phase, step.name])).toEqual([['removal', 'remove']]);
  });

  it('resolves entry criteria to the stage they name', () => {
    expect(live?.entryCriteria).toEqual([
      {
        kind: 'soaked',
        text: 'soaked 2h in test',
        reference: 'test',
        duration: '2h',
        durationMilliseconds: 7_200_000,
        stage: 'test',
        stageIndex: 0,
      },
    ]);
  });

  it('compiles approvals with their defaults', () => {
    expect(live?.approvals).toEqual([
      { by: { role: 'change-authority' }, count: 2, before: 'install', expiresAfterMilliseconds: 14_400_000 },
    ]);
  });

  it('refuses a model that breaks a rule, such as one read back from storage', () => {
    const broken: DeploymentModel = { ...model, stages: [...model.stages, ...model.stages] };
    expect(() => compileModel(broken)).toThrow(InputError);
  });
});

describe('stageForEnvironment', () => {
  const stages = compileModel(model).stages;

  it('prefers the stage naming the environment, then the stage naming its tier', () => {
    expect(stageForEnvironment(stages, { name: 'test', tier: 'test' })?.name).toBe('test');
    expect(stageForEnvironment(stages, { name: 'production', tier: 'live' })?.name).toBe('live');
    expect(stageForEnvironment(stages, { name: 'qa', tier: 'integration' })).toBeUndefined();
  });
});

describe('modelAppliesTo', () => {
  it('needs the kind, the service and every label to match', () => {
    const labels = { runtime: 'node', team: 'web' };
    expect(modelAppliesTo(model, { kind: 'software', service: 'shop', labels })).toBe(true);
    expect(modelAppliesTo(model, { kind: 'hardware', service: 'shop', labels })).toBe(false);
    expect(modelAppliesTo(model, { kind: 'software', service: 'billing', labels })).toBe(false);
    expect(modelAppliesTo(model, { kind: 'software', service: 'shop', labels: { runtime: 'java' } })).toBe(
      false,
    );
    expect(modelAppliesTo(model, { kind: 'software', service: 'shop' })).toBe(false);
  });
});
