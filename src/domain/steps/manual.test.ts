import { describe, expect, it } from 'vitest';
import { type ManualStep, manualStep } from './manual.js';

describe('manual step', () => {
  const step: ManualStep = {
    type: 'manual',
    name: 'install',
    task: 'Install {{ component }} in rack {{ target.labels.rack }}',
    checklist: ['Mounted at {{ target.name }}', 'Both feeds connected'],
    assignee: { party: 'northwind' },
    timeout: '3d',
  };

  it('describes the task, who does it, the checklist and the evidence needed', () => {
    expect(
      manualStep.describe(step, { component: 'node-7', target: { name: 'hall-b', labels: { rack: 'B12' } } }),
    ).toEqual({
      summary:
        'Manual task for party northwind: Install node-7 in rack B12 (2-item checklist; evidence required; timeout 3d)',
      details: ['[ ] Mounted at hall-b', '[ ] Both feeds connected'],
    });
  });

  it('says when no evidence is needed', () => {
    const light: ManualStep = {
      ...step,
      checklist: [],
      evidenceRequired: false,
      assignee: { role: 'practitioner' },
    };
    expect(manualStep.describe(light, {}).summary).toBe(
      'Manual task for role practitioner: Install {{ component }} in rack {{ target.labels.rack }} (no evidence needed; timeout 3d)',
    );
  });

  it('is done by a person and lists its templated fields', () => {
    expect(manualStep.automated).toBe(false);
    expect(manualStep.templateFields(step).map((field) => field.field)).toEqual([
      '/task',
      '/checklist/0',
      '/checklist/1',
    ]);
  });
});
