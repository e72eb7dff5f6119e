import { describe, expect, it } from 'vitest';
import { modelDiff } from './diff.js';
import { parseModel } from './parse.js';

const before = parseModel(`apiVersion: slipway/v1
kind: DeploymentModel
name: shop
description: The shop
appliesTo: { componentKinds: [software] }
requirements: [os == linux, disk_free_gb >= 10]
stages:
  - name: test
    environment: test
    promotion: automatic
    steps:
      - { name: install, type: shell, command: ./install.sh }
      - { name: restart, type: shell, command: systemctl restart shop }
  - name: live
    environment: live
    steps:
      - { name: install, type: shell, command: ./install.sh }
`);

describe('modelDiff', () => {
  it('finds nothing between a model and itself, whatever the layout', () => {
    const reformatted = parseModel(JSON.stringify(before));
    expect(modelDiff(before, reformatted)).toEqual([]);
  });

  it('reports changed values with their old and new values', () => {
    const after = structuredClone(before);
    after.description = 'The web shop';
    const test = after.stages[0];
    if (test?.steps[0]?.type === 'shell') test.steps[0].command = './install.sh --verbose';
    expect(modelDiff(before, after)).toEqual([
      {
        kind: 'changed',
        path: 'description',
        before: 'The shop',
        after: 'The web shop',
        summary: 'changed description from "The shop" to "The web shop"',
      },
      {
        kind: 'changed',
        path: 'stages[test].steps[install].command',
        before: './install.sh',
        after: './install.sh --verbose',
        summary:
          'changed stages[test].steps[install].command from "./install.sh" to "./install.sh --verbose"',
      },
    ]);
  });

  it('matches stages and steps by name, so an inserted stage is one addition', () => {
    const after = structuredClone(before);
    after.stages.splice(1, 0, {
      name: 'staging',
      environment: 'staging',
      steps: [{ name: 'install', type: 'shell', command: './install.sh' }],
    });
    const changes = modelDiff(before, after);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ kind: 'added', path: 'stages[staging]' });
    expect(changes[0]?.summary).toBe('added stages[staging]: "staging"');
  });

  it('reports removed fields, steps and stages', () => {
    const after = structuredClone(before);
    after.stages.pop();
    after.stages[0]?.steps.pop();
    const first = after.stages[0];
    if (first !== undefined) delete first.promotion;
    expect(modelDiff(before, after).map(({ kind, path }) => `${kind} ${path}`)).toEqual([
      'removed stages[test].promotion',
      'removed stages[test].steps[restart]',
      'removed stages[live]',
    ]);
    expect(modelDiff(before, after)[0]?.summary).toBe('removed stages[test].promotion (was "automatic")');
  });

  it('reports reordered stages and steps', () => {
    const after = structuredClone(before);
    after.stages.reverse();
    after.stages[1]?.steps.reverse();
    expect(modelDiff(before, after)).toEqual([
      {
        kind: 'reordered',
        path: 'stages[test].steps',
        before: ['install', 'restart'],
        after: ['restart', 'install'],
        summary: 'reordered stages[test].steps: install, restart → restart, install',
      },
      {
        kind: 'reordered',
        path: 'stages',
        before: ['test', 'live'],
        after: ['live', 'test'],
        summary: 'reordered stages: test, live → live, test',
      },
    ]);
  });

  it('reports items added to and removed from lists of plain values', () => {
    const after = parseModel(JSON.stringify({ ...before, requirements: ['os == linux', 'memory_gb >= 4'] }));
    expect(modelDiff(before, after)).toEqual([
      {
        kind: 'removed',
        path: 'requirements',
        before: 'disk_free_gb >= 10',
        summary: 'removed requirements (was "disk_free_gb >= 10")',
      },
      {
        kind: 'added',
        path: 'requirements',
        after: 'memory_gb >= 4',
        summary: 'added requirements: "memory_gb >= 4"',
      },
    ]);
  });

  it('compares lists of unnamed items position by position', () => {
    const first = parseModel(
      JSON.stringify({
        ...before,
        stages: [
          { ...before.stages[0], approvals: [{ by: { role: 'change-authority' } }] },
          before.stages[1],
        ],
      }),
    );
    const second = structuredClone(first);
    const approval = second.stages[0]?.approvals?.[0];
    if (approval !== undefined) approval.count = 2;
    second.stages[0]?.approvals?.push({ by: { role: 'deployment-manager' } });
    expect(modelDiff(first, second).map(({ kind, path }) => `${kind} ${path}`)).toEqual([
      'added stages[test].approvals[0].count',
      'added stages[test].approvals[1]',
    ]);
  });
});
