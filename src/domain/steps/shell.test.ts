import { describe, expect, it } from 'vitest';
import { type ShellStep, shellStep } from './shell.js';

const context = { version: '1.2.3', component: 'shop', target: { name: 'web-1', facts: { port: 8080 } } };

describe('shell step', () => {
  it('describes a one-line command with its directory, timeout and repeat safety', () => {
    const step: ShellStep = {
      type: 'shell',
      name: 'restart',
      command: 'systemctl restart {{ component }}',
      workingDir: '/srv/{{ component }}',
      timeout: '2m',
      safeToRepeat: true,
      env: { PORT: '{{ target.facts.port }}', VERSION: '{{ version }}' },
    };
    expect(shellStep.describe(step, context)).toEqual({
      summary: 'Run `systemctl restart shop` in /srv/shop (timeout 2m; safe to repeat)',
      details: ['env PORT=8080', 'env VERSION=1.2.3'],
    });
  });

  it('describes a script by its length and shows its lines', () => {
    const step: ShellStep = {
      type: 'shell',
      name: 'install',
      command: 'set -eu\ntar -xzf {{ version }}.tgz\n',
    };
    expect(shellStep.describe(step, context)).toEqual({
      summary: 'Run a 2-line script',
      details: ['| set -eu', '| tar -xzf 1.2.3.tgz'],
    });
  });

  it('is not safe to repeat unless the model says so', () => {
    expect(shellStep.safeToRepeat({ type: 'shell', name: 'a', command: 'x' })).toBe(false);
    expect(shellStep.safeToRepeat({ type: 'shell', name: 'a', command: 'x', safeToRepeat: true })).toBe(true);
  });

  it('lists the fields that may hold placeholders and durations', () => {
    const step: ShellStep = {
      type: 'shell',
      name: 'a',
      command: 'x',
      workingDir: '/srv',
      timeout: '1m',
      env: { 'A/B': 'y' },
    };
    expect(shellStep.templateFields(step).map((field) => field.field)).toEqual([
      '/command',
      '/workingDir',
      '/env/A~1B',
    ]);
    expect(shellStep.durationFields(step)).toEqual([{ field: '/timeout', text: '1m' }]);
    expect(shellStep.timeout(step)).toBe('1m');
  });
});
