import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyModel,
  digestOf,
  type EngineHarness,
  eventually,
  startEngine,
  waitForState,
} from '../support/engine.js';
import { dialectsUnderTest } from '../support/stores.js';

const workDir = mkdtempSync(join(tmpdir(), 'slipway-engine-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const webModel = `
apiVersion: slipway/v1
kind: DeploymentModel
name: web
description: Two automated stages with automatic promotion
appliesTo: { componentKinds: [software] }
requirements: ["os == linux"]
stages:
  - name: dev
    environment: dev
    steps:
      - name: install
        type: shell
        command: "echo installing {{ component }} {{ version }} on {{ target.name }} >> ${workDir}/{{ target.name }}.log && echo done"
      - name: settle
        type: wait
        duration: 1s
    acceptance:
      - name: smoke
        type: shell
        command: "grep -q '{{ version }}' ${workDir}/{{ target.name }}.log"
    promotion: automatic
  - name: staging
    environment: staging
    entryCriteria: ["succeeded in dev"]
    steps:
      - name: install
        type: shell
        command: "echo staging {{ version }}"
    acceptance:
      - name: fails-for-bad-versions
        type: shell
        command: "case '{{ version }}' in *bad*) exit 3;; esac"
    rollback:
      - name: restore
        type: shell
        command: "echo restoring previous version"
  - name: live
    environment: prod
    entryCriteria: ["soaked 2h in staging"]
    steps:
      - name: install
        type: shell
        command: "echo live {{ version }}"
`;

const hardwareModel = `
apiVersion: slipway/v1
kind: DeploymentModel
name: rack-install
appliesTo: { componentKinds: [hardware] }
responsibilities:
  - party: northwind
    kind: supplier
    does: [ship, install]
requiredParts: [server, rails]
requirements: ["power_backup == true", "rack_units_free >= 2"]
stages:
  - name: install
    tier: live
    steps:
      - name: rack-it
        type: manual
        task: Rack the server in {{ target.name }}
        checklist: [Rails mounted, Power cables connected]
        assignee: { party: northwind }
`;

describe.each(await dialectsUnderTest())('deployment lifecycle on %s', (dialect) => {
  let harness: EngineHarness;

  beforeAll(async () => {
    harness = await startEngine(dialect);
    const { store, manager } = harness;
    await store.catalog.createService({ name: 'shop' }, manager.id);
    await store.catalog.createComponent({ service: 'shop', name: 'shop-web', kind: 'software' }, manager.id);
    await store.catalog.createComponent({ service: 'shop', name: 'db-server', kind: 'hardware' }, manager.id);
    for (const [name, tier] of [
      ['dev', 'development'],
      ['staging', 'staging'],
      ['datacenter', 'live'],
      ['prod', 'live'],
    ] as const) {
      await store.environments.create({ name, tier }, manager.id);
    }
    await store.environments.createTarget(
      'dev',
      { name: 'dev-1', kind: 'host', facts: { os: 'linux' } },
      manager.id,
    );
    await store.environments.createTarget(
      'staging',
      { name: 'stg-1', kind: 'host', facts: { os: 'linux' } },
      manager.id,
    );
    await store.environments.createTarget(
      'staging',
      { name: 'stg-2', kind: 'host', facts: { os: 'linux' } },
      manager.id,
    );
    await store.environments.createTarget(
      'prod',
      { name: 'prod-1', kind: 'host', facts: { os: 'linux' } },
      manager.id,
    );
    await store.environments.createTarget(
      'datacenter',
      { name: 'rack-7', kind: 'site', facts: { power_backup: true, rack_units_free: 4 } },
      manager.id,
    );
    await applyModel(harness, webModel);
    await applyModel(harness, hardwareModel);
  });
  afterAll(async () => harness.close());

  it('runs a version through dev and promotes it automatically to staging', async () => {
    const { store, commands, owner } = harness;
    await store.catalog.registerVersion(
      'shop-web',
      { version: '1.0.0', digest: digestOf('a'), size: 1 },
      owner.id,
    );
    const requested = await commands.request(
      { versions: [{ component: 'shop-web', version: '1.0.0' }], environment: 'dev' },
      owner,
    );
    const dev = await waitForState(store, requested.id);
    expect(dev.state).toBe('succeeded');
    expect(readFileSync(join(workDir, 'dev-1.log'), 'utf8')).toContain('installing shop-web 1.0.0 on dev-1');

    const staging = await eventually(async () =>
      (await store.deployments.list({ flowId: dev.flowId }, { limit: 10 })).items.find(
        (item) => item.stage === 'staging',
      ),
    );
    expect((await waitForState(store, staging.id)).state).toBe('succeeded');

    const events = await store.records.events(dev.id);
    const transitions = events
      .filter((event) => event.type === 'transition')
      .map((event) => (event.data as { to: string }).to);
    expect(transitions).toEqual([
      'planned',
      'scheduled',
      'verifying-components',
      'verifying-environment',
      'executing',
      'verifying-deployment',
      'succeeded',
    ]);
    const logLines = events
      .filter((event) => event.type === 'log')
      .flatMap((event) => (event.data as { lines: { text: string }[] }).lines.map((line) => line.text));
    expect(logLines).toContain('done');
    expect(events.some((event) => event.type === 'promoted')).toBe(true);
    const finishedSteps = events
      .filter((event) => event.type === 'step.finished')
      .map((event) => (event.data as { step: string }).step);
    expect(finishedSteps).toEqual(['install', 'settle', 'smoke']);

    const matrix = await store.matrix.cells({});
    expect(
      matrix
        .filter((cell) => cell.component === 'shop-web')
        .map((cell) => [cell.environment, cell.version, cell.outcome]),
    ).toEqual([
      ['dev', '1.0.0', 'succeeded'],
      ['staging', '1.0.0', 'succeeded'],
    ]);
    expect((await store.records.verify()).broken).toBeUndefined();
    const told = await store.notifications.list(owner.id);
    expect(
      told.some(
        (notification) =>
          notification.deploymentId === dev.id && notification.kind === 'deployment.succeeded',
      ),
    ).toBe(true);
  });

  it('rolls back when acceptance fails and keeps the previous version in the matrix', async () => {
    const { store, commands, owner } = harness;
    await store.catalog.registerVersion(
      'shop-web',
      { version: '1.1.0-bad', digest: digestOf('b'), size: 1 },
      owner.id,
    );
    const requested = await commands.request(
      { versions: [{ component: 'shop-web', version: '1.1.0-bad' }], environment: 'dev' },
      owner,
    );
    expect((await waitForState(store, requested.id)).state).toBe('succeeded');
    const staging = await eventually(async () =>
      (await store.deployments.list({ flowId: requested.flowId }, { limit: 10 })).items.find(
        (item) => item.stage === 'staging',
      ),
    );
    const finished = await waitForState(store, staging.id);
    expect(finished.state).toBe('rolled-back');
    expect(finished.kind).toBe('upgrade');
    const runs = await store.tasks.stepRuns(staging.id);
    expect(
      runs.filter((run) => run.phase === 'rollback').map((run) => [run.step, run.target, run.state]),
    ).toEqual([
      ['restore', 'stg-1', 'succeeded'],
      ['restore', 'stg-2', 'succeeded'],
    ]);
    const cell = (await store.matrix.cells({})).find(
      (item) => item.component === 'shop-web' && item.environment === 'staging',
    );
    expect(cell?.version).toBe('1.0.0');
  });

  it('refuses to enter a stage whose entry criteria are not met', async () => {
    const { store, commands, owner } = harness;
    await store.catalog.registerVersion(
      'shop-web',
      { version: '2.0.0', digest: digestOf('c'), size: 1 },
      owner.id,
    );
    const requested = await commands.request(
      { versions: [{ component: 'shop-web', version: '2.0.0' }], environment: 'staging' },
      owner,
    );
    const finished = await waitForState(store, requested.id);
    expect(finished.state).toBe('rejected');
    expect(finished.stateReason).toContain('succeeded in dev');
    expect(await store.tasks.stepRuns(requested.id)).toEqual([]);
  });

  it('stops before execution when a target fails a requirement, naming target and requirement', async () => {
    const { store, commands, owner, manager } = harness;
    await store.environments.updateTarget('dev', 'dev-1', { facts: { os: 'windows' } }, manager.id);
    try {
      await store.catalog.registerVersion(
        'shop-web',
        { version: '2.1.0', digest: digestOf('d'), size: 1 },
        owner.id,
      );
      const requested = await commands.request(
        { versions: [{ component: 'shop-web', version: '2.1.0' }], environment: 'dev' },
        owner,
      );
      const finished = await waitForState(store, requested.id);
      expect(finished.state).toBe('failed');
      expect(finished.stateReason).toMatch(/dev-1: .*os must be/);
      expect(await store.tasks.stepRuns(requested.id)).toEqual([]);
      const verification = (await store.records.events(requested.id)).find(
        (event) => event.type === 'verification.environment',
      );
      expect(verification?.data).toMatchObject({
        passed: false,
        targets: [{ target: 'dev-1', results: [{ requirement: 'os == linux', passed: false }] }],
      });
    } finally {
      await store.environments.updateTarget('dev', 'dev-1', { facts: { os: 'linux' } }, manager.id);
    }
  });

  it('fails component verification naming a part missing from the manifest', async () => {
    const { store, commands, owner } = harness;
    await store.catalog.registerVersion(
      'db-server',
      {
        version: 'r1',
        digest: digestOf('e'),
        size: 1,
        manifest: [{ name: 'server', kind: 'device', serialNumber: 'SN-1' }],
      },
      owner.id,
    );
    const requested = await commands.request(
      { versions: [{ component: 'db-server', version: 'r1' }], environment: 'datacenter' },
      owner,
    );
    const gate = await eventually(
      async () => (await store.tasks.listGates({ deploymentId: requested.id, state: 'open' }))[0],
    );
    await commands.decideGate(gate.id, true, 'I will oversee the first install', harness.manager);
    const finished = await waitForState(store, requested.id);
    expect(finished.state).toBe('failed');
    expect(finished.stateReason).toContain('"rails"');
  });

  it('waits for a supervised first live run and a manual task completed with evidence', async () => {
    const { store, commands, owner, practitioner, manager } = harness;
    await store.catalog.registerVersion(
      'db-server',
      {
        version: 'r2',
        digest: digestOf('f'),
        size: 1,
        manifest: [
          { name: 'server', kind: 'device', serialNumber: 'SN-2' },
          { name: 'rails', kind: 'device', serialNumber: 'RL-2' },
        ],
      },
      owner.id,
    );
    const requested = await commands.request(
      { versions: [{ component: 'db-server', version: 'r2' }], environment: 'datacenter' },
      owner,
    );
    const gate = await eventually(
      async () => (await store.tasks.listGates({ deploymentId: requested.id, state: 'open' }))[0],
    );
    expect(gate.kind).toBe('supervised-first-run');
    expect((await store.deployments.get(requested.id)).supervised).toBe(true);
    await expect(commands.decideGate(gate.id, true, undefined, practitioner)).rejects.toMatchObject({
      code: 'forbidden',
    });
    await commands.decideGate(gate.id, true, 'approved', manager);

    const task = await eventually(
      async () => (await store.tasks.listTasks({ deploymentId: requested.id, state: 'open' }))[0],
    );
    expect(task).toMatchObject({
      title: 'Rack the server in rack-7',
      assigneeParty: 'northwind',
      checklist: ['Rails mounted', 'Power cables connected'],
    });
    expect((await store.deployments.get(requested.id)).state).toBe('executing');
    await expect(commands.completeTask(task.id, {}, practitioner)).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await commands.completeTask(
      task.id,
      { evidence: 'Installed in U12-U13, photo TCK-99', checklist: task.checklist },
      practitioner,
    );
    expect((await waitForState(store, requested.id)).state).toBe('succeeded');
    const events = await store.records.events(requested.id);
    expect(events.find((event) => event.type === 'step.started')?.data).toMatchObject({
      step: 'rack-it',
      party: 'northwind',
    });
    expect(events.find((event) => event.type === 'task.completed')).toMatchObject({
      actorId: practitioner.id,
      data: { evidence: 'Installed in U12-U13, photo TCK-99' },
    });
  });

  it('promotes by hand, waits out the soak time, and cancels before execution', async () => {
    const { store, commands, owner, manager } = harness;
    await expect(
      commands.promote({ component: 'shop-web', version: '2.0.0', environment: 'prod' }, owner),
    ).rejects.toMatchObject({ code: 'not_promotable' });
    const promoted = await commands.promote(
      { component: 'shop-web', version: '1.0.0', environment: 'prod' },
      owner,
    );
    const waiting = await eventually(async () => {
      const events = await store.records.events(promoted.id);
      return events.find((event) => event.type === 'waiting');
    });
    expect(waiting.data).toMatchObject({ criterion: 'soaked 2h in staging' });
    expect((await store.deployments.get(promoted.id)).state).toBe('requested');
    await expect(
      commands.promote({ component: 'shop-web', version: '1.0.0', environment: 'prod' }, owner),
    ).rejects.toMatchObject({ code: 'already_promoted' });
    const cancelled = await commands.cancel(promoted.id, 'release postponed', manager);
    expect(cancelled).toMatchObject({ state: 'cancelled', stateReason: 'release postponed' });
    const finished = (await store.deployments.list({ states: ['succeeded'] }, { limit: 1 })).items[0];
    if (finished === undefined) throw new Error('expected a succeeded deployment');
    await expect(commands.cancel(finished.id, 'too late', manager)).rejects.toMatchObject({
      code: 'invalid_transition',
    });
  });

  it('names a record row edited directly in the database', async () => {
    const { store } = harness;
    const [deployment] = (await store.deployments.list({ states: ['succeeded'] }, { limit: 1 })).items;
    if (deployment === undefined) throw new Error('expected a succeeded deployment');
    const events = await store.records.events(deployment.id);
    const target = events[3];
    if (target === undefined) throw new Error('expected events');
    await store.db
      .updateTable('deployment_events')
      .set({ data: JSON.stringify({ to: 'succeeded', forged: true }) })
      .where('id', '=', target.id)
      .execute();
    const result = await store.records.verify();
    expect(result.broken).toMatchObject({
      deploymentId: deployment.id,
      eventId: target.id,
      sequence: target.sequence,
      reason: 'content-altered',
    });
  });
});
