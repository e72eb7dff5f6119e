import { describe, expect, it } from 'vitest';
import { describeStep, StepSchema, stepKindOf, stepKinds, stepTypes } from './index.js';

describe('step registry', () => {
  it('has a kind for every step type the schema accepts', () => {
    const schemaTypes = StepSchema.anyOf.map((variant) => variant.properties.type.const);
    expect(stepTypes).toEqual(['shell', 'http-check', 'wait', 'manual']);
    expect(schemaTypes).toEqual(stepTypes);
    for (const type of stepTypes) expect(stepKinds[type].type).toBe(type);
  });

  it('finds the kind of a step by its type', () => {
    expect(stepKindOf({ type: 'wait', name: 'pause', duration: '1m' }).automated).toBe(true);
    expect(
      stepKindOf({ type: 'manual', name: 'do', task: 'x', assignee: { role: 'practitioner' } }).automated,
    ).toBe(false);
  });
});

describe('describeStep', () => {
  it('fills what the context knows and reports what it does not', () => {
    const preview = describeStep(
      {
        type: 'shell',
        name: 'deploy',
        command: 'deploy {{ version }} to {{ target.facts.hostname }} {{ verison }}',
        env: { ZONE: '{{ target.labels.zone }}' },
      },
      { version: '3.0.0' },
    );
    expect(preview.summary).toBe('Run `deploy 3.0.0 to {{ target.facts.hostname }} {{ verison }}`');
    expect(preview.unbound).toEqual(['target.facts.hostname', 'target.labels.zone']);
    expect(preview.unknown).toEqual(['verison']);
  });
});
