import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  canTransition,
  type DeploymentState,
  deploymentStates,
  isTerminal,
  preExecutionStates,
  terminalStates,
  transitions,
} from './lifecycle.js';

describe('deployment lifecycle', () => {
  it('follows the happy path of guide table 3.3 in order', () => {
    const path = [
      'requested',
      'planned',
      'scheduled',
      'verifying-components',
      'verifying-environment',
      'executing',
      'verifying-deployment',
      'succeeded',
    ] as const;
    for (let index = 1; index < path.length; index += 1) {
      expect(canTransition(path[index - 1] as DeploymentState, path[index] as DeploymentState)).toBe(true);
    }
  });

  it('lets every state before execution be cancelled or rejected, and none after', () => {
    for (const state of deploymentStates) {
      const beforeExecution = preExecutionStates.includes(state);
      expect(canTransition(state, 'cancelled')).toBe(beforeExecution);
      expect(canTransition(state, 'rejected')).toBe(beforeExecution);
    }
  });

  it('ends nowhere after a terminal state except rolling back a failure', () => {
    for (const state of terminalStates) {
      expect(transitions[state]).toEqual(state === 'failed' ? ['rolling-back'] : []);
    }
    expect(isTerminal('rolled-back')).toBe(true);
    expect(isTerminal('executing')).toBe(false);
  });

  it('refuses an illegal transition with invalid_transition', () => {
    expect(() => assertTransition('succeeded', 'executing')).toThrowError(
      expect.objectContaining({
        code: 'invalid_transition',
        details: expect.objectContaining({ from: 'succeeded', to: 'executing' }),
      }),
    );
    expect(() => assertTransition('requested', 'executing')).toThrow(
      /may become planned, cancelled, rejected/,
    );
  });

  it('reaches every state from requested', () => {
    const reached = new Set<DeploymentState>(['requested']);
    const queue: DeploymentState[] = ['requested'];
    while (queue.length > 0) {
      const state = queue.shift() as DeploymentState;
      for (const next of transitions[state]) {
        if (!reached.has(next)) {
          reached.add(next);
          queue.push(next);
        }
      }
    }
    expect([...reached].sort()).toEqual([...deploymentStates].sort());
  });
});
