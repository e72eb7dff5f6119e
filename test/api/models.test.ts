import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DeploymentPlan,
  ModelChange,
  ModelProblem,
  ModelVersion,
  Principal,
} from '../../src/domain/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dialectsUnderTest } from '../support/stores.js';
import { type Call, expectError, expectStatus, type Page, send } from './http.js';

/** Three stages: dev (manual promotion), staging (two approvals), and a live tier. */
const webModel = `apiVersion: slipway/v1
kind: DeploymentModel
name: web
description: A web service through dev, staging and live
appliesTo:
  componentKinds: [software]
requirements: ["os == linux", "disk_free_gb >= 10"]
stages:
  - name: dev
    environment: dev
    steps:
      - name: install
        type: shell
        command: "echo installing {{ component }} {{ version }}"
    acceptance:
      - name: smoke
        type: shell
        command: "true"
    promotion: manual
  - name: staging
    environment: staging
    entryCriteria: ["succeeded in dev"]
    approvals:
      - by: { role: change-authority }
        count: 2
    steps:
      - name: install
        type: shell
        command: "echo staging {{ version }}"
  - name: live
    tier: live
    entryCriteria: ["soaked 2h in staging"]
    steps:
      - name: install
        type: shell
        command: "echo live {{ version }}"
`;

/** The same model with one step's command changed. */
const webModelChanged = webModel.replace(
  'command: "echo installing {{ component }} {{ version }}"',
  'command: "echo installing {{ component }} {{ version }} carefully"',
);

const docsModel = `apiVersion: slipway/v1
kind: DeploymentModel
name: docs
appliesTo: { componentKinds: [documentation] }
stages:
  - name: publish
    environment: dev
    steps:
      - name: publish
        type: shell
        command: echo publish
`;

interface Validation {
  valid: boolean;
  name?: string;
  problems: ModelProblem[];
}
interface Applied {
  created: boolean;
  version: ModelVersion;
}
interface History {
  latest: ModelVersion;
  versions: {
    number: number;
    changelog: string;
    fingerprint: string;
    createdAt: string;
    createdBy: string;
  }[];
}
interface Diff {
  from: number;
  to: number;
  changes: ModelChange[];
}
interface DryRun {
  plan: DeploymentPlan;
  supervisedFirstRun: boolean;
}

describe.each(await dialectsUnderTest())('deployment models over HTTP on %s', (dialect) => {
  let server: TestServer;
  let manager: Principal;
  const as = (token: string) => (request: Omit<Call, 'token'>) => send(server.app, { ...request, token });
  const call = (request: Omit<Call, 'token'>) => as(server.tokens['deployment-manager'])(request);
  const validate = async (source: string): Promise<Validation> =>
    expectStatus<Validation>(
      await call({ method: 'POST', url: '/api/v1/models/validate', body: { source } }),
      200,
    );
  const apply = (source: string, changelog?: string) =>
    call({
      method: 'POST',
      url: '/api/v1/models',
      body: { source, ...(changelog !== undefined && { changelog }) },
    });
  const dryRun = (model: string, body: Record<string, unknown>) =>
    call({ method: 'POST', url: `/api/v1/models/${model}/test`, body });

  beforeAll(async () => {
    server = await startTestServer(dialect);
    manager = expectStatus<Principal>(await call({ url: '/api/v1/whoami' }), 200);
    const admin = (request: Omit<Call, 'token'>) =>
      send(server.app, { ...request, token: server.adminToken });
    for (const [name, tier] of [
      ['dev', 'development'],
      ['staging', 'staging'],
      ['prod', 'live'],
    ] as const) {
      expectStatus(await admin({ method: 'POST', url: '/api/v1/environments', body: { name, tier } }), 201);
    }
    for (const [environment, name, facts] of [
      ['dev', 'dev-1', { os: 'linux', disk_free_gb: 50 }],
      ['dev', 'dev-2', { os: 'windows', disk_free_gb: 4 }],
      ['staging', 'stg-1', { os: 'linux', disk_free_gb: 80 }],
      ['prod', 'prod-1', { os: 'linux', disk_free_gb: 200 }],
    ] as const) {
      expectStatus(
        await admin({
          method: 'POST',
          url: `/api/v1/environments/${environment}/targets`,
          body: { name, kind: 'host', facts },
        }),
        201,
      );
    }
    expectStatus(await admin({ method: 'POST', url: '/api/v1/services', body: { name: 'shop' } }), 201);
    expectStatus(
      await admin({
        method: 'POST',
        url: '/api/v1/components',
        body: { service: 'shop', name: 'shop-web', kind: 'software' },
      }),
      201,
    );
  });
  afterAll(async () => server?.close());

  describe('validation', () => {
    it('locates each problem by line and column and says what is expected', async () => {
      const source = webModel
        .replace(
          '        type: shell\n        command: "echo installing',
          '        type: shel\n        command: "echo installing',
        )
        .replace('    environment: staging\n', '    environment: staging\n    envirnment: staging\n')
        .replace('        count: 2\n', '        count: two\n');
      const result = await validate(source);
      expect(result.valid).toBe(false);
      expect(result.name).toBeUndefined();
      expect(result.problems).toEqual([
        {
          path: '/stages/0/steps/0/type',
          message: 'must be one of shell, http-check, wait, manual; found "shel" (did you mean shell?)',
          line: 13,
          column: 15,
        },
        {
          path: '/stages/1/envirnment',
          message: expect.stringMatching(
            /^unknown field "envirnment" \(did you mean environment\?\); expected one of name, .*environment/,
          ),
          line: 22,
          column: 5,
        },
        {
          path: '/stages/1/approvals/0/count',
          message: 'must be a whole number; found "two"',
          line: 26,
          column: 16,
        },
      ]);
    });

    it('names a missing field at the place it belongs', async () => {
      const source = `apiVersion: slipway/v1
kind: DeploymentModel
name: stepless
appliesTo:
  componentKinds: [software]
stages:
  - name: dev
    environment: dev
`;
      const result = await validate(source);
      expect(result.problems).toEqual([
        { path: '/stages/0/steps', message: 'is required; give a list', line: 7, column: 5 },
      ]);
    });

    it('reports broken YAML syntax at the offending line', async () => {
      const result = await validate(webModel.replace('name: web\n', 'name: web\nname: web-again\n'));
      expect(result).toEqual({
        valid: false,
        problems: [{ path: '', message: 'is not valid YAML: Map keys must be unique', line: 4, column: 1 }],
      });
    });

    it('checks rules beyond the schema: requirement expressions and entry criteria', async () => {
      const source = webModel
        .replace('"disk_free_gb >= 10"', '"disk_free_gb => 10"')
        .replace('["succeeded in dev"]', '["succeeded in nowhere"]');
      const result = await validate(source);
      expect(result.problems.map((problem) => [problem.path, problem.line, problem.column])).toEqual([
        ['/requirements/1', 7, 31],
        ['/stages/1/entryCriteria/0', 22, 21],
      ]);
      expect(result.problems[1]?.message).toContain('"nowhere"');
      expect(result.problems[1]?.message).toContain('not an earlier stage');
    });

    it('accepts a valid model, in YAML or as JSON, and names it', async () => {
      expect(await validate(webModel)).toEqual({ valid: true, name: 'web', problems: [] });
      const asJson = JSON.stringify({
        apiVersion: 'slipway/v1',
        kind: 'DeploymentModel',
        name: 'json-model',
        appliesTo: { componentKinds: ['software'] },
        stages: [{ name: 'dev', environment: 'dev', steps: [{ name: 'a', type: 'wait', duration: '1s' }] }],
      });
      expect(await validate(asJson)).toEqual({ valid: true, name: 'json-model', problems: [] });
    });

    it('stores nothing when validating', async () => {
      expectError(await call({ url: '/api/v1/models/json-model' }), 404, 'not_found');
    });
  });

  describe('applying and history', () => {
    it('creates version 1, then recognises the same model applied again', async () => {
      const first = expectStatus<Applied>(await apply(webModel, 'First model of the web service.'), 201);
      expect(first.created).toBe(true);
      expect(first.version).toMatchObject({
        model: 'web',
        number: 1,
        changelog: 'First model of the web service.',
        source: webModel,
        createdBy: manager.id,
      });
      expect(first.version.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);

      const again = expectStatus<Applied>(await apply(webModel, 'Applied twice by mistake.'), 200);
      expect(again.created).toBe(false);
      expect(again.version).toEqual(first.version);
      // Re-applying the same model with comments or another layout is still the same model.
      const reformatted = `# the same model\n${webModel.replace('appliesTo:\n  componentKinds: [software]', 'appliesTo: { componentKinds: [ software ] }')}`;
      const same = expectStatus<Applied>(await apply(reformatted), 200);
      expect(same).toMatchObject({ created: false, version: { number: 1, id: first.version.id } });
    });

    it('makes a changed model version 2 with its changelog entry', async () => {
      const second = expectStatus<Applied>(await apply(webModelChanged, 'Install carefully in dev.'), 201);
      expect(second).toMatchObject({
        created: true,
        version: { model: 'web', number: 2, changelog: 'Install carefully in dev.', source: webModelChanged },
      });
      const history = expectStatus<History>(await call({ url: '/api/v1/models/web' }), 200);
      expect(history.latest).toEqual(second.version);
      expect(history.versions.map((version) => [version.number, version.changelog])).toEqual([
        [2, 'Install carefully in dev.'],
        [1, 'First model of the web service.'],
      ]);
      expect(history.versions.every((version) => version.createdBy === manager.id)).toBe(true);
      expect(history.versions[0]?.fingerprint).not.toBe(history.versions[1]?.fingerprint);
    });

    it('writes a default changelog entry when none is given', async () => {
      const applied = expectStatus<Applied>(await apply(docsModel), 201);
      expect(applied.version).toMatchObject({ model: 'docs', number: 1 });
      expect(applied.version.changelog.length).toBeGreaterThan(0);
    });

    it('refuses an invalid model with its located problems and stores nothing', async () => {
      const broken = webModelChanged.replace('name: web\n', 'name: web\nstage: []\n');
      const error = expectError(await apply(broken, 'should not land'), 400, 'validation_failed');
      expect(error.message).toContain('line 4, column 1');
      expect(error.details?.problems).toEqual([
        expect.objectContaining({ path: '/stage', line: 4, column: 1 }),
      ]);
      const history = expectStatus<History>(await call({ url: '/api/v1/models/web' }), 200);
      expect(history.versions.map((version) => version.number)).toEqual([2, 1]);
    });

    it('lists the latest version of every model', async () => {
      const listed = expectStatus<Page<ModelVersion>>(await call({ url: '/api/v1/models' }), 200);
      expect(listed.items.map((version) => [version.model, version.number])).toEqual([
        ['docs', 1],
        ['web', 2],
      ]);
    });

    it('shows any version by number, by model name or id, and 404 for one that does not exist', async () => {
      const first = expectStatus<ModelVersion>(await call({ url: '/api/v1/models/web/versions/1' }), 200);
      expect(first).toMatchObject({ model: 'web', number: 1, source: webModel });
      expect(first.definition).toMatchObject({
        name: 'web',
        stages: [{ name: 'dev' }, { name: 'staging' }, { name: 'live' }],
      });
      const byId = expectStatus<ModelVersion>(
        await call({ url: `/api/v1/models/${first.modelId}/versions/2` }),
        200,
      );
      expect(byId).toMatchObject({ model: 'web', number: 2, source: webModelChanged });
      expectError(await call({ url: '/api/v1/models/web/versions/3' }), 404, 'not_found');
      expectError(await call({ url: '/api/v1/models/no-such-model' }), 404, 'not_found');
      expectError(await call({ url: '/api/v1/models/web/versions/0' }), 400, 'validation_failed');
    });

    it('diffs the latest version against the one before, naming the changed path', async () => {
      const diff = expectStatus<Diff>(await call({ url: '/api/v1/models/web/diff' }), 200);
      expect(diff).toEqual({
        from: 1,
        to: 2,
        changes: [
          expect.objectContaining({
            kind: 'changed',
            path: 'stages[dev].steps[install].command',
            before: 'echo installing {{ component }} {{ version }}',
            after: 'echo installing {{ component }} {{ version }} carefully',
          }),
        ],
      });
      expect(diff.changes[0]?.summary).toContain('stages[dev].steps[install].command');
      const backwards = expectStatus<Diff>(await call({ url: '/api/v1/models/web/diff?from=2&to=1' }), 200);
      expect(backwards.changes).toEqual([
        expect.objectContaining({
          path: 'stages[dev].steps[install].command',
          before: 'echo installing {{ component }} {{ version }} carefully',
          after: 'echo installing {{ component }} {{ version }}',
        }),
      ]);
      const unchanged = expectStatus<Diff>(await call({ url: '/api/v1/models/docs/diff' }), 200);
      expect(unchanged).toEqual({ from: 1, to: 1, changes: [] });
      expectError(await call({ url: '/api/v1/models/web/diff?from=7' }), 404, 'not_found');
    });
  });

  describe('dry run', () => {
    it('plans one environment: failing requirements by target and fact, steps, and no approval needed', async () => {
      const { plan, supervisedFirstRun } = expectStatus<DryRun>(
        await dryRun('web', { version: '1.4.0', component: 'shop-web', environment: 'dev' }),
        200,
      );
      expect(supervisedFirstRun).toBe(false);
      expect(plan).toMatchObject({ model: 'web', version: '1.4.0', component: 'shop-web', service: 'shop' });
      expect(plan.ready).toBe(false);
      const [stage] = plan.stages;
      expect(plan.stages).toHaveLength(1);
      expect(stage?.name).toBe('dev');
      expect(stage?.targets.map((target) => [target.name, target.ready])).toEqual([
        ['dev-1', true],
        ['dev-2', false],
      ]);
      const failing = stage?.targets.find((target) => target.name === 'dev-2')?.failing ?? [];
      expect(failing.map((result) => [result.requirement, result.fact, result.actual])).toEqual([
        ['os == linux', 'os', 'windows'],
        ['disk_free_gb >= 10', 'disk_free_gb', 4],
      ]);
      expect(plan.blockers).toEqual([
        expect.stringMatching(/^Target dev-2: .*os.*windows/),
        expect.stringMatching(/^Target dev-2: .*disk_free_gb.*4/),
      ]);
      // Steps are shown as they would run, with placeholders filled in.
      expect(stage?.steps.map((step) => step.name)).toEqual(['install']);
      expect(stage?.steps[0]?.summary).toContain('echo installing shop-web 1.4.0 carefully');
      expect(stage?.acceptance.map((step) => step.name)).toEqual(['smoke']);
      expect(stage?.gates).toEqual([]);
      expect(stage?.promotion).toMatchObject({ mode: 'manual', next: 'staging' });
    });

    it('shows the gates of a later stage: manual promotion, entry criteria and who must approve', async () => {
      const { plan } = expectStatus<DryRun>(
        await dryRun('web', { version: '1.4.0', component: 'shop-web', environment: 'staging' }),
        200,
      );
      expect(plan.ready).toBe(true);
      expect(plan.stages[0]?.gates).toEqual([
        expect.objectContaining({ kind: 'manual-promotion', from: 'dev' }),
        expect.objectContaining({ kind: 'entry-criterion', criterion: 'succeeded in dev', stage: 'dev' }),
        expect.objectContaining({ kind: 'approval', by: { role: 'change-authority' }, count: 2 }),
      ]);
      expect(plan.actors).toEqual([
        expect.objectContaining({ actor: { role: 'change-authority' }, duties: ['approves stage staging'] }),
      ]);
    });

    it('says a first run into a live-tier environment is supervised, and plans an older version on request', async () => {
      const live = expectStatus<DryRun>(
        await dryRun('web', { version: '1.4.0', environment: 'prod', modelVersion: 1 }),
        200,
      );
      expect(live.supervisedFirstRun).toBe(true);
      expect(
        live.plan.stages.map((stage) => [stage.name, stage.targets.map((target) => target.name)]),
      ).toEqual([['live', ['prod-1']]]);
      expect(live.plan.stages[0]?.gates).toEqual([
        expect.objectContaining({ kind: 'manual-promotion', from: 'staging' }),
        expect.objectContaining({ kind: 'entry-criterion', criterion: 'soaked 2h in staging' }),
      ]);
      const everything = expectStatus<DryRun>(
        await dryRun('web', { version: '1.4.0', component: 'shop-web', modelVersion: 1 }),
        200,
      );
      expect(everything.plan.stages.map((stage) => stage.name)).toEqual(['dev', 'staging', 'live']);
      expect(everything.plan.stages[0]?.steps[0]?.summary).toContain('echo installing shop-web 1.4.0');
      expect(everything.plan.stages[0]?.steps[0]?.summary).not.toContain('carefully');
    });

    it('plans one stage by name with only the targets of that stage', async () => {
      const { plan, supervisedFirstRun } = expectStatus<DryRun>(
        await dryRun('web', { version: '1.4.0', stage: 'staging' }),
        200,
      );
      expect(plan.stages.map((stage) => stage.name)).toEqual(['staging']);
      expect(plan.stages[0]?.targets.map((target) => target.name)).toEqual(['stg-1']);
      expect(plan.ready).toBe(true);
      expect(supervisedFirstRun).toBe(false);
      const live = expectStatus<DryRun>(await dryRun('web', { version: '1.4.0', stage: 'live' }), 200);
      expect(live.plan.stages[0]?.targets.map((target) => target.name)).toEqual(['prod-1']);
      expect(live.supervisedFirstRun).toBe(true);
    });

    it('does not announce a supervised live run for a model without a live stage', async () => {
      const { plan, supervisedFirstRun } = expectStatus<DryRun>(
        await dryRun('docs', { version: '2024-06' }),
        200,
      );
      expect(plan.stages.map((stage) => [stage.name, stage.targets.map((target) => target.name)])).toEqual([
        ['publish', ['dev-1', 'dev-2']],
      ]);
      expect(supervisedFirstRun).toBe(false);
    });

    it('refuses an environment the model has no stage for, and unknown models or environments', async () => {
      expectStatus(
        await send(server.app, {
          method: 'POST',
          url: '/api/v1/environments',
          token: server.adminToken,
          body: { name: 'sandbox', tier: 'test' },
        }),
        201,
      );
      const error = expectError(
        await dryRun('web', { version: '1.4.0', environment: 'sandbox' }),
        400,
        'validation_failed',
      );
      expect(error.message).toContain('sandbox');
      const noStage = expectError(
        await dryRun('web', { version: '1.4.0', stage: 'qa' }),
        400,
        'validation_failed',
      );
      expect(noStage.message).toContain('dev, staging, live');
      expectError(await dryRun('no-such-model', { version: '1.4.0' }), 404, 'not_found');
      expectError(await dryRun('web', { version: '1.4.0', environment: 'nowhere' }), 404, 'not_found');
      expectError(
        await dryRun('web', { version: '1.4.0', component: 'no-such-component' }),
        404,
        'not_found',
      );
    });

    it('executes nothing: no deployment and no step run exist after dry runs', async () => {
      const listed = expectStatus<Page<unknown>>(await call({ url: '/api/v1/deployments' }), 200);
      expect(listed.items).toEqual([]);
      const runs = await server.store.db.selectFrom('step_runs').select('id').execute();
      expect(runs).toEqual([]);
      const flows = await server.store.db.selectFrom('flows').select('id').execute();
      expect(flows).toEqual([]);
    });
  });

  describe('schema and access', () => {
    it('publishes the JSON Schema of models without a token', async () => {
      const response = await send(server.app, { url: '/api/v1/schemas/deployment-model.json' });
      const schema = expectStatus<{ $id: string; required: string[]; properties: Record<string, unknown> }>(
        response,
        200,
      );
      expect(response.headers['content-type']).toContain('application/schema+json');
      expect(schema.$id).toBe('/api/v1/schemas/deployment-model.json');
      expect(schema.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'name', 'stages']));
      expect(Object.keys(schema.properties)).toEqual(
        expect.arrayContaining(['appliesTo', 'requirements', 'stages', 'rollback', 'responsibilities']),
      );
    });

    it('lets people read and validate models but only managers and admins apply them', async () => {
      const practitioner = as(server.tokens.practitioner);
      const refused = expectError(
        await practitioner({ method: 'POST', url: '/api/v1/models', body: { source: webModel } }),
        403,
        'forbidden',
      );
      expect(refused.details).toMatchObject({ action: 'model.write' });
      expectError(
        await as(server.tokens['service-owner'])({
          method: 'POST',
          url: '/api/v1/models',
          body: { source: docsModel.replace('name: docs', 'name: docs-2') },
        }),
        403,
        'forbidden',
      );
      expect(
        expectStatus<Validation>(
          await practitioner({ method: 'POST', url: '/api/v1/models/validate', body: { source: webModel } }),
          200,
        ).valid,
      ).toBe(true);
      expectStatus(await as(server.tokens.auditor)({ url: '/api/v1/models/web/diff' }), 200);
      expectStatus(
        await practitioner({ method: 'POST', url: '/api/v1/models/web/test', body: { version: '2.0.0' } }),
        200,
      );
      expectError(await as(server.tokens.agent)({ url: '/api/v1/models' }), 403, 'forbidden');
      expectError(await send(server.app, { url: '/api/v1/models' }), 401, 'unauthenticated');
      const admin = expectStatus<Applied>(
        await send(server.app, {
          method: 'POST',
          url: '/api/v1/models',
          token: server.adminToken,
          body: { source: docsModel.replace('name: docs', 'name: docs-admin') },
        }),
        201,
      );
      expect(admin.version.number).toBe(1);
      // The refused applications left nothing behind.
      expectError(await call({ url: '/api/v1/models/docs-2' }), 404, 'not_found');
      expect(
        expectStatus<History>(await call({ url: '/api/v1/models/web' }), 200).versions.map(
          (version) => version.number,
        ),
      ).toEqual([2, 1]);
    });
  });
});
