import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { parseModel } from './parse.js';
import { planDeployment } from './plan.js';

const model = parseModel(`apiVersion: slipway/v1
kind: DeploymentModel
name: planned
appliesTo: { componentKinds: [software] }
responsibilities:
  - role: service-owner
    approves: [promotion to live]
  - party: acme
    kind: supplier
    does: [rack servers]
requirements:
  - os == linux
  - expression: disk_free_gb >= 10
    description: releases are large
stages:
  - name: test
    environment: test
    promotion: automatic
    steps:
      - { name: install, type: shell, command: "install {{ component }} {{ version }} in {{ environment }}" }
    acceptance:
      - { name: health, type: http-check, url: "http://{{ target.facts.hostname }}/health" }
  - name: staging
    environment: staging
    entryCriteria: [succeeded in test]
    promotion: manual
    steps:
      - { name: install, type: shell, command: "install {{ component }} {{ version }}" }
  - name: live
    tier: live
    entryCriteria: [soaked 2h in staging]
    approvals:
      - by: { role: change-authority }
        count: 2
        before: install
    steps:
      - name: rack
        type: manual
        task: Rack a server at {{ target.name }}
        assignee: { party: acme }
        checklist: [Rails fitted, Power connected]
      - { name: install, type: shell, command: "install {{ version }} on {{ target.name }}", by: { role: practitioner } }
    acceptance:
      - { name: health, type: http-check, url: "http://{{ target.facts.hostname }}/health" }
rollback:
  - { name: undo, type: shell, command: "undo {{ version }}" }
removal:
  - { name: remove, type: shell, command: "remove {{ component }}" }
`);

const goodFacts = { os: 'linux', disk_free_gb: 50, hostname: 'host.example' };

describe('planDeployment', () => {
  it('plans the stage for an environment, with its targets, waves, steps and checks', () => {
    const plan = planDeployment({
      model,
      version: '2.0.0',
      component: 'shop-web',
      environment: { name: 'test', tier: 'test' },
      targets: [
        { name: 'web-1', facts: goodFacts },
        { name: 'web-2', facts: goodFacts },
      ],
    });
    expect(plan.ready).toBe(true);
    expect(plan.blockers).toEqual([]);
    expect(plan.stages).toHaveLength(1);
    const [stage] = plan.stages;
    expect(stage).toMatchObject({
      name: 'test',
      destination: 'environment test',
      gates: [],
      onLostTarget: 'fail',
      promotion: { mode: 'automatic', next: 'staging' },
    });
    expect(stage?.rollout.waves).toEqual([{ index: 0, targets: ['web-1', 'web-2'] }]);
    expect(stage?.steps).toEqual([
      {
        name: 'install',
        type: 'shell',
        automated: true,
        summary: 'Run `install shop-web 2.0.0 in test`',
        details: [],
        timeout: '15m',
        safeToRepeat: false,
      },
    ]);
    expect(stage?.acceptance[0]?.summary).toBe(
      'GET http://{{ target.facts.hostname }}/health expecting status 200 (one try, 10s per request)',
    );
    expect(stage?.rollback.map((step) => step.summary)).toEqual(['Run `undo 2.0.0`']);
    expect(stage?.targets.map((target) => [target.name, target.ready, target.requirements.length])).toEqual([
      ['web-1', true, 2],
      ['web-2', true, 2],
    ]);
  });

  it('shows which requirements each target fails, with what to do, and blocks on them', () => {
    const plan = planDeployment({
      model,
      version: '2.0.0',
      stage: 'staging',
      targets: [
        { name: 'good', facts: goodFacts },
        { name: 'small', facts: { os: 'linux', disk_free_gb: 4 } },
        { name: 'unknown', facts: {} },
      ],
    });
    expect(plan.ready).toBe(false);
    const targets = plan.stages[0]?.targets ?? [];
    expect(
      targets.map((target) => [target.name, target.ready, target.failing.map((result) => result.fact)]),
    ).toEqual([
      ['good', true, []],
      ['small', false, ['disk_free_gb']],
      ['unknown', false, ['os', 'disk_free_gb']],
    ]);
    expect(targets[1]?.failing[0]).toMatchObject({
      expected: '>= 10',
      actual: 4,
      message: 'disk_free_gb must be >= 10 (releases are large), but the target reports 4.',
    });
    expect(plan.blockers).toEqual([
      'Target small: disk_free_gb must be >= 10 (releases are large), but the target reports 4.',
      expect.stringContaining('Target unknown: The target has no fact "os"'),
      expect.stringContaining('Target unknown: The target has no fact "disk_free_gb"'),
    ]);
  });

  it('reports targets that cannot fill the placeholders the steps use', () => {
    const plan = planDeployment({
      model,
      version: '2.0.0',
      stage: 'test',
      targets: [{ name: 'bare', facts: { os: 'linux', disk_free_gb: 20 } }],
    });
    expect(plan.stages[0]?.targets[0]).toMatchObject({
      ready: false,
      failing: [],
      unboundPlaceholders: ['target.facts.hostname'],
    });
    expect(plan.blockers).toEqual([
      'Target bare cannot fill {{ target.facts.hostname }}, which a step of stage test uses.',
    ]);
  });

  it('shows the gates: manual promotion, entry criteria and approvals', () => {
    const plan = planDeployment({
      model,
      version: '2.0.0',
      environment: { name: 'production', tier: 'live' },
      targets: [{ name: 'rack-a', facts: goodFacts }],
    });
    const [stage] = plan.stages;
    expect(stage?.destination).toBe('tier live');
    expect(stage?.gates).toEqual([
      {
        kind: 'manual-promotion',
        from: 'staging',
        description: 'A person promotes the version from staging (continuous delivery).',
      },
      {
        kind: 'entry-criterion',
        criterion: 'soaked 2h in staging',
        stage: 'staging',
        description: 'The version must have succeeded in staging at least 2h ago.',
      },
      {
        kind: 'approval',
        by: { role: 'change-authority' },
        count: 2,
        before: 'install',
        description: '2 different people with role change-authority must approve before step install.',
      },
    ]);
    expect(stage?.steps.map((step) => step.summary)).toEqual([
      'Manual task for party acme: Rack a server at {{ target.name }} (2-item checklist; evidence required)',
      'Run `install 2.0.0 on {{ target.name }}`',
    ]);
    expect(stage?.steps[0]?.details).toEqual(['[ ] Rails fitted', '[ ] Power connected']);
    expect(stage?.promotion).toEqual({
      mode: 'manual',
      description: 'The last stage: success ends the flow.',
    });
  });

  it('says who must act, in the stage and across the plan', () => {
    const plan = planDeployment({
      model,
      version: '2.0.0',
      stage: 'live',
      targets: [{ name: 'rack-a', facts: goodFacts }],
    });
    expect(plan.stages[0]?.actors).toEqual([
      { actor: { party: 'acme' }, label: 'party acme', duties: ['completes manual step rack in stage live'] },
      {
        actor: { role: 'practitioner' },
        label: 'role practitioner',
        duties: ['runs step install in stage live'],
      },
      {
        actor: { role: 'change-authority' },
        label: 'role change-authority',
        duties: ['approves stage live before step install'],
      },
    ]);
    expect(plan.actors.map((entry) => [entry.label, entry.duties])).toEqual([
      ['role service-owner', ['approves: promotion to live']],
      ['party acme', ['does: rack servers', 'completes manual step rack in stage live']],
      ['role practitioner', ['runs step install in stage live']],
      ['role change-authority', ['approves stage live before step install']],
    ]);
  });

  it('plans every stage when none is chosen, placing targets by environment or tier', () => {
    const plan = planDeployment({
      model,
      version: '2.0.0',
      targets: [
        { name: 't-1', environment: 'test', facts: goodFacts },
        { name: 's-1', environment: 'staging', facts: goodFacts },
        { name: 'l-1', environment: 'production', tier: 'live', facts: goodFacts },
      ],
    });
    expect(plan.stages.map((stage) => [stage.name, stage.targets.map((target) => target.name)])).toEqual([
      ['test', ['t-1']],
      ['staging', ['s-1']],
      ['live', ['l-1']],
    ]);
    expect(plan.ready).toBe(true);
  });

  it('blocks a stage without targets', () => {
    const plan = planDeployment({ model, version: '2.0.0', stage: 'staging', targets: [] });
    expect(plan.stages[0]?.rollout.waves).toEqual([]);
    expect(plan.blockers).toEqual([
      'Stage staging has no targets in environment staging; register or declare targets there.',
    ]);
  });

  it('plans a removal with the removal steps and no checks', () => {
    const plan = planDeployment({
      model,
      version: '2.0.0',
      component: 'shop-web',
      kind: 'removal',
      stage: 'test',
      targets: [{ name: 'web-1', facts: goodFacts }],
    });
    expect(plan.kind).toBe('removal');
    expect(plan.stages[0]?.steps.map((step) => step.summary)).toEqual(['Run `remove shop-web`']);
    expect(plan.stages[0]?.acceptance).toEqual([]);
    expect(plan.stages[0]?.rollback).toEqual([]);
  });

  it('refuses a stage or environment the model does not have', () => {
    expect(() => planDeployment({ model, version: '1', stage: 'qa', targets: [] })).toThrow(
      'Model planned has no stage "qa"; its stages are test, staging, live.',
    );
    expect(() =>
      planDeployment({ model, version: '1', environment: { name: 'qa', tier: 'integration' }, targets: [] }),
    ).toThrow(InputError);
  });

  it('plans the datacenter hardware example for a site that lacks backup power', () => {
    const hardware = parseModel(
      readFileSync(new URL('../../../examples/datacenter-hardware.yaml', import.meta.url), 'utf8'),
    );
    const plan = planDeployment({
      model: hardware,
      version: 'R750-batch-7',
      component: 'compute-node',
      environment: { name: 'hall-b', tier: 'live' },
      targets: [
        {
          name: 'hall-b',
          labels: { rack: 'B12' },
          facts: { power_backup: false, air_conditioning: true, fire_suppression: 'gas', rack_units_free: 6 },
        },
      ],
    });
    expect(plan.requiredParts).toContain('warranty-certificate');
    expect(plan.stages[0]?.targets[0]?.failing.map((result) => result.message)).toEqual([
      'power_backup must be true (the hall must have UPS and generator backup), but the target reports false.',
    ]);
    expect(plan.stages[0]?.steps.every((step) => !step.automated)).toBe(true);
    expect(plan.actors.find((entry) => entry.label === 'party northwind-installations')?.duties).toContain(
      'completes manual step install in stage production',
    );
  });
});
