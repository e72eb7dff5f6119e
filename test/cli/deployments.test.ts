import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const binary = join(root, 'dist/src/cli/main.js');

function newestSource(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the binary unless it is newer than every source file (`npm test` builds first anyway). */
function ensureBuilt(): void {
  if (existsSync(binary)) {
    if (process.env.npm_lifecycle_event === 'test') return;
    if (statSync(binary).mtimeMs >= newestSource(join(root, 'src'))) return;
  }
  try {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
  } catch (error) {
    // Type errors elsewhere still emit JavaScript; the typecheck is its own gate.
    if (!existsSync(binary)) throw error;
  }
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Lines of a table whose first cell is the given text. */
function rowOf(table: string, first: string): string | undefined {
  return table.split('\n').find((line) => line.split(/\s{2,}/)[0] === first);
}

/** The text under a column of a table row, cut at the next column. */
function cellUnder(table: string, header: string, first: string): string {
  const lines = table.split('\n');
  const headerLine = lines.find((line) => line.includes(header)) ?? '';
  const row = rowOf(table, first) ?? '';
  const start = headerLine.indexOf(header);
  const next = headerLine.slice(start + header.length).search(/\S/);
  const end = next < 0 ? undefined : start + header.length + next;
  return row.slice(start, end).trim();
}

const digest = (character: string): string => `sha256:${character.repeat(64)}`;

describe('slipway deployments from the command line, against a server whose engine runs', () => {
  let server: TestServer;
  let url: string;
  let scratch: string;
  /** Target names are unique per run: the quickstart model writes files named after them. */
  const suffix = randomBytes(3).toString('hex');
  const target = (environment: string): string => `${environment}-${suffix}`;
  const environments = ['development', 'test', 'staging', 'live'] as const;

  function slipway(args: readonly string[], token?: string): Promise<CliRun> {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (!name.startsWith('SLIPWAY_')) env[name] = value;
    }
    env.SLIPWAY_URL = url;
    env.SLIPWAY_DATA_DIR = join(scratch, 'no-data');
    env.SLIPWAY_TOKEN = token ?? server.adminToken;
    return new Promise((resolveRun, reject) => {
      const child = spawn(process.execPath, [binary, ...args], { env, cwd: scratch });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      // A watch that never ends would outlive the test; no command here should take this long.
      const timer = setTimeout(() => child.kill('SIGTERM'), 25_000);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolveRun({ code, stdout, stderr });
      });
    });
  }

  async function json<Body>(args: readonly string[], token?: string): Promise<Body> {
    const run = await slipway([...args, '--json'], token);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as Body;
  }

  async function succeed(args: readonly string[], token?: string): Promise<CliRun> {
    const run = await slipway(args, token);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return run;
  }

  /** Waits until an open item (gate or task) shows up in a CLI listing. */
  async function firstOpen(kind: 'gate' | 'task'): Promise<{ id: string; kind?: string; title?: string }> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { items } = await json<{ items: { id: string; kind?: string; title?: string }[] }>([
        kind,
        'list',
        '--state',
        'open',
      ]);
      const [first] = items;
      if (first !== undefined) return first;
      if (Date.now() > deadline) throw new Error(`No ${kind} opened in time.`);
      await sleep(100);
    }
  }

  beforeAll(async () => {
    ensureBuilt();
    scratch = mkdtempSync(join(tmpdir(), 'slipway-cli-deployments-'));
    server = await startTestServer('sqlite', { engine: true });
    url = await server.listen();
    await succeed(['service', 'create', 'shop', '--owner', 'team-shop']);
    await succeed(['component', 'create', 'shop-web', '--service', 'shop', '--kind', 'software']);
    for (const [index, environment] of environments.entries()) {
      await succeed([
        'env',
        'create',
        environment,
        '--tier',
        environment,
        '--order',
        String((index + 1) * 10),
      ]);
      await succeed([
        'target',
        'create',
        environment,
        target(environment),
        '--kind',
        'host',
        '--fact',
        'os=linux',
      ]);
    }
    await succeed(['env', 'create', 'sandbox', '--tier', 'integration', '--order', '50']);
    await succeed(['target', 'create', 'sandbox', 'sandbox-1', '--kind', 'host', '--fact', 'os=windows']);
    await succeed(['version', 'create', 'shop-web', '1.0.0', '--digest', digest('a'), '--size', '100']);
  });

  afterAll(async () => {
    await server?.close();
    for (const environment of environments) {
      rmSync(join('/tmp/slipway-quickstart', environment, target(environment)), { force: true });
    }
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('validates a broken model, naming the line and column of each problem, and exits 1', async () => {
    const broken = join(scratch, 'broken.yaml');
    writeFileSync(
      broken,
      [
        'apiVersion: slipway/v1',
        'kind: DeploymentModel',
        'name: broken',
        'appliesTo:',
        '  componentKinds: [software]',
        'stages:',
        '  - name: development',
        '    environment: development',
        '    steps:',
        '      - name: install',
        '        type: shel',
        '        command: ./install.sh',
        '',
      ].join('\n'),
    );
    const run = await slipway(['model', 'validate', broken]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${broken}: not a valid deployment model (1 problem):`);
    expect(run.stdout).toContain(
      'line 11, column 15: /stages/0/steps/0/type must be one of shell, http-check, wait, manual; found "shel" (did you mean shell?)',
    );

    const refused = await slipway(['model', 'apply', broken]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('line 11, column 15');
    expect(refused.stderr).toContain('(validation_failed, HTTP 400)');
    expect((await json<{ items: unknown[] }>(['model', 'list'])).items).toEqual([]);

    const valid = await succeed(['model', 'validate', join(root, 'examples/quickstart.yaml')]);
    expect(valid.stdout).toContain('quickstart.yaml: valid deployment model quickstart');
    const missing = await slipway(['model', 'validate', join(scratch, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
  });

  it('applies a model once; applying it again changes nothing; a change makes a version with a diff', async () => {
    const quickstart = join(root, 'examples/quickstart.yaml');
    const first = await succeed(['model', 'apply', quickstart, '--changelog', 'The tour model']);
    expect(first.stdout).toContain('Applied model quickstart: created version 1.');
    expect(first.stdout).toMatch(/^Stages:\s+development → test → staging → live$/m);

    const again = await succeed(['model', 'apply', quickstart]);
    expect(again.stdout).toContain(
      'Model quickstart is unchanged: version 1 already has this content, so no version was created.',
    );

    // The tests cannot wait a minute in staging: the same model with a two-second soak.
    const shorter = join(scratch, 'quickstart-short-soak.yaml');
    writeFileSync(
      shorter,
      readFileSync(quickstart, 'utf8').replace('soaked 1m in staging', 'soaked 2s in staging'),
    );
    const changed = await succeed(['model', 'apply', shorter, '--changelog', 'Soak 2s in staging for tests']);
    expect(changed.stdout).toContain('Applied model quickstart: created version 2.');

    const diff = await succeed(['model', 'diff', 'quickstart']);
    expect(diff.stdout.split('\n')).toEqual([
      'Model quickstart, version 1 → 2: 2 changes',
      '  removed stages[live].entryCriteria (was "soaked 1m in staging")',
      '  added stages[live].entryCriteria: "soaked 2s in staging"',
      '',
    ]);
    const none = await succeed(['model', 'diff', 'quickstart', '--from', '2', '--to', '2']);
    expect(none.stdout).toContain('version 2 → 2: no changes.');

    const shown = await succeed(['model', 'show', 'quickstart']);
    expect(shown.stdout).toMatch(/^Version:\s+2$/m);
    expect(rowOf(shown.stdout, '2')).toContain('Soak 2s in staging for tests');
    expect(rowOf(shown.stdout, '1')).toContain('The tour model');
    const source = await succeed(['model', 'show', 'quickstart', '--version', '1', '--source']);
    expect(source.stdout).toBe(readFileSync(quickstart, 'utf8'));
    const list = await succeed(['model', 'list']);
    expect(rowOf(list.stdout, 'quickstart')).toMatch(
      /^quickstart\s+2\s+development → test → staging → live\s/,
    );
  });

  it('dry-runs a model: the plan, a failing requirement per target, and exit 1 for blockers', async () => {
    const fragile = join(scratch, 'fragile.yaml');
    writeFileSync(
      fragile,
      `apiVersion: slipway/v1
kind: DeploymentModel
name: fragile
appliesTo:
  componentKinds: [software]
requirements:
  - os == linux
stages:
  - name: sandbox
    environment: sandbox
    steps:
      - name: migrate
        type: shell
        command: |
          echo "migrating {{ version }}"
          echo "disk full" >&2
          exit 3
rollback:
  - name: restore
    type: shell
    command: echo "restored the previous version"
`,
    );
    await succeed(['model', 'apply', fragile]);
    const blocked = await slipway(['model', 'test', 'fragile', '--to', 'sandbox', '--component', 'shop-web']);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain(
      'Dry run of model fragile version 1: install of shop-web@1.0.0 (service shop) into sandbox. Nothing runs.',
    );
    expect(blocked.stdout).toContain('sandbox-1: NOT READY');
    expect(blocked.stdout).toContain('✗ os == linux: os must be linux, but the target reports windows.');
    expect(blocked.stdout).toContain('| echo "migrating 1.0.0"');
    expect(blocked.stdout).toContain('Not ready: 1 blocker.');

    const live = await succeed(['model', 'test', 'quickstart', '--to', 'live', '--component', 'shop-web']);
    const text = live.stdout;
    expect(text).toContain('Stage 4: live → environment live');
    expect(text).toContain('- A person promotes the version from staging (continuous delivery).');
    expect(text).toContain('- The version must have succeeded in staging at least 2s ago.');
    expect(text).toContain(`${target('live')}: ready`);
    expect(text).toContain('✓ os == linux: os is linux, as required (== linux).');
    expect(text).toContain(`wave 1: ${target('live')}`);
    expect(text).toMatch(
      /1\. install \(shell, automated, timeout 2m\): Run a 3-line script \(safe to repeat\)/,
    );
    expect(text).toMatch(/Acceptance checks:\n\s+1\. check \(shell/);
    expect(text).toMatch(/Rollback:\n\s+1\. remove-file \(shell/);
    expect(text).toContain(
      'role deployment-manager:\n    - approves the supervised first run of model quickstart in live',
    );
    expect(text).toContain('Supervised first run: yes.');
    expect(text).toContain('Ready: nothing blocks this deployment.');
  });

  it('deploys with --watch from development through test to staging by automatic promotion', async () => {
    const run = await slipway([
      'deploy',
      'shop-web@1.0.0',
      '--to',
      'development',
      '--watch',
      '--reason',
      'Tour',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.stdout;
    for (const environment of ['development', 'test', 'staging']) {
      expect(out).toMatch(
        new RegExp(
          `^Deployment \\S+: install of shop-web@1\\.0\\.0 into ${environment} \\(stage ${environment}, model quickstart version 2\\)$`,
          'm',
        ),
      );
      expect(out).toMatch(new RegExp(`✓ ${target(environment)}: os is linux, as required`));
      expect(out).toMatch(new RegExp(`✓ install on ${target(environment)}: exit 0 in \\d`));
      expect(out).toContain(`${target(environment)} | installed shop-web 1.0.0 on ${target(environment)}`);
      expect(out).toMatch(
        new RegExp(`^Deployment \\S+ into ${environment} succeeded: Acceptance criteria passed\\.$`, 'm'),
      );
    }
    expect(out).toMatch(/→ requested: Tour/);
    expect(out).toMatch(/→ requested: Promoted automatically after development succeeded\./);
    expect(out).toMatch(/promoted to stage test: deployment [0-9a-f-]{36}/);
    expect(out).toContain('promotable to stage live (live); a person promotes it');
    expect(out).toContain('promote: slipway promote shop-web@1.0.0 --to live');
    expect(out).toContain('Flow: development succeeded, test succeeded, staging succeeded.');
    // Events come in the order they were recorded: the state before the steps it runs.
    expect(out.indexOf('→ executing')).toBeLessThan(out.indexOf('▶ install on'));
    expect(readFileSync(join('/tmp/slipway-quickstart/staging', target('staging')), 'utf8')).toBe(
      'shop-web 1.0.0\n',
    );

    const lines = await slipway([
      'deployment',
      'watch',
      /Deployment (\S+):/.exec(out)?.[1] ?? '',
      '--json',
      '--no-follow',
    ]);
    expect(lines.code).toBe(0);
    const events = lines.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; sequence?: number; state?: string });
    expect(events[0]).toMatchObject({ type: 'requested', sequence: 1 });
    expect(events.at(-1)).toEqual(expect.objectContaining({ type: 'end', state: 'succeeded' }));
    expect(events.map((event) => event.type)).toContain('promoted');
  });

  it('shows what is where as a table with environments in flow order', async () => {
    const run = await succeed(['status']);
    const [header = ''] = run.stdout.split('\n');
    expect(header).toMatch(/^COMPONENT\s+SERVICE\s+DEVELOPMENT\s+TEST\s+STAGING\s+LIVE\s+SANDBOX$/);
    expect(cellUnder(run.stdout, 'DEVELOPMENT', 'shop-web')).toBe('1.0.0 ✓');
    expect(cellUnder(run.stdout, 'TEST', 'shop-web')).toBe('1.0.0 ✓');
    expect(cellUnder(run.stdout, 'STAGING', 'shop-web')).toBe('1.0.0 ✓');
    expect(cellUnder(run.stdout, 'LIVE', 'shop-web')).toBe('-');
    expect(cellUnder(run.stdout, 'SERVICE', 'shop-web')).toBe('shop');

    const staging = await succeed(['status', '--environment', 'staging']);
    expect(staging.stdout.split('\n')[0]).toMatch(/^COMPONENT\s+SERVICE\s+STAGING$/);
    const list = await succeed(['deployment', 'list', '--state', 'succeeded', '--environment', 'test']);
    expect(list.stdout.trim().split('\n')).toHaveLength(2);
    expect(list.stdout).toMatch(/shop-web@1\.0\.0\s+test\s+quickstart v2\s+install\s+succeeded/);
    const badState = await slipway(['deployment', 'list', '--state', 'done']);
    expect(badState.code).toBe(2);
    expect(badState.stderr).toContain('the states are requested, planned');
  });

  it('promotes to live, where the supervised first run waits for a deployment manager', async () => {
    const promoting = slipway([
      'promote',
      'shop-web@1.0.0',
      '--to',
      'live',
      '--watch',
      '--reason',
      'Release day',
    ]);
    const gate = await firstOpen('gate');
    expect(gate.kind).toBe('supervised-first-run');

    const admin = await slipway(['gate', 'approve', gate.id]);
    expect(admin.code).toBe(1);
    expect(admin.stderr).toContain(
      'Gate supervised-first-run needs one of: deployment-manager. (forbidden, HTTP 403)',
    );

    const approved = await succeed(
      ['gate', 'approve', gate.id, '--comment', 'Watching the dashboards'],
      server.tokens['deployment-manager'],
    );
    expect(approved.stdout).toContain(
      'Approved gate supervised-first-run: it has passed and the deployment goes on.',
    );
    expect(approved.stdout).toMatch(/^Approved by:\s+as-deployment-manager$/m);

    const run = await promoting;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/into live \(stage live, model quickstart version 2, supervised first run\)/);
    expect(out).toContain('→ requested: Release day');
    expect(out).toContain('⏸ gate supervised-first-run opened: needs approval by role deployment-manager');
    expect(out).toContain(`approve: slipway gate approve ${gate.id}`);
    expect(out).toContain(
      '✓ gate supervised-first-run approved by as-deployment-manager: Watching the dashboards',
    );
    expect(out.indexOf('approved by as-deployment-manager')).toBeLessThan(out.indexOf('▶ install on'));
    expect(out).toMatch(/^Deployment \S+ into live succeeded: Acceptance criteria passed\.$/m);
    expect(out).not.toContain('Flow:');

    expect(cellUnder((await succeed(['status'])).stdout, 'LIVE', 'shop-web')).toBe('1.0.0 ✓');
    const id = /^Deployment (\S+):/m.exec(out)?.[1] ?? '';
    const shown = await succeed(['deployment', 'show', id]);
    expect(shown.stdout).toMatch(/^State:\s+succeeded: Acceptance criteria passed\.$/m);
    expect(shown.stdout).toMatch(/^Supervised:\s+yes/m);
    expect(rowOf(shown.stdout, 'execution')).toMatch(
      new RegExp(`install\\s+${target('live')}\\s+1\\s+succeeded\\s+0\\s`),
    );
    expect(shown.stdout).toMatch(
      /supervised-first-run\s+passed\s+1\/1 by deployment-manager\s+as-deployment-manager/,
    );

    const again = await slipway(['promote', 'shop-web@1.0.0', '--to', 'live']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is already promoted to live');
    const cancel = await slipway(['deployment', 'cancel', id, '--reason', 'Too late']);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain('only deployments that have not started executing can be cancelled');
  });

  it('exits 1 when a deployment fails: first on a requirement, then on a step, which rolls back', async () => {
    const refused = await slipway(['deploy', 'shop-web@1.0.0', '--to', 'sandbox', '--watch']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('✗ sandbox-1: os must be linux, but the target reports windows.');
    expect(refused.stdout).toMatch(
      /^Deployment \S+ into sandbox failed: Target environment sandbox does not meet/m,
    );
    expect(refused.stdout).not.toContain('▶ migrate');

    await succeed(['target', 'update', 'sandbox', 'sandbox-1', '--fact', 'os=linux']);
    const run = await slipway(['deploy', 'shop-web@1.0.0', '--to', 'sandbox', '--watch']);
    expect(run.code).toBe(1);
    const out = run.stdout;
    expect(out).toContain('sandbox-1 | migrating 1.0.0');
    expect(out).toContain('sandbox-1 (stderr) | disk full');
    expect(out).toMatch(/✗ migrate on sandbox-1: exit 3 in \S+ — The command exited with 3\./);
    expect(out).toContain('→ rolling-back: Step migrate failed');
    expect(out).toContain('sandbox-1 | restored the previous version');
    expect(out).toMatch(/^Deployment \S+ into sandbox rolled-back: Rollback steps completed\.$/m);

    const id = /^Deployment (\S+):/m.exec(out)?.[1] ?? '';
    const events = await succeed(['deployment', 'events', id]);
    expect(events.stdout).toContain(`Deployment ${id}: install of shop-web@1.0.0 into sandbox — rolled-back`);
    expect(events.stdout).toMatch(/^ ?1 {2}\S+ \S+ {2}→ requested: Requested by admin\. {2}\[admin\]$/m);
    expect(events.stdout).toMatch(/✗ migrate on sandbox-1: exit 3/);
    const notifications = await succeed(['notifications']);
    expect(notifications.stdout).toMatch(/deployment\.rolled-back\s+shop-web@1\.0\.0 → sandbox: rolled-back/);
  });

  it('waits at a manual task, shows how to complete it, and goes on when a practitioner does', async () => {
    const handover = join(scratch, 'handover.yaml');
    writeFileSync(
      handover,
      `apiVersion: slipway/v1
kind: DeploymentModel
name: handover
appliesTo:
  componentKinds: [software]
stages:
  - name: sandbox
    environment: sandbox
    steps:
      - name: sign-off
        type: manual
        task: Sign off {{ component }} {{ version }} on {{ target.name }}
        assignee: { role: practitioner }
        checklist: [Smoke test done, Runbook updated]
`,
    );
    await succeed(['model', 'apply', handover]);
    const deploying = slipway([
      'deploy',
      'shop-web@1.0.0',
      '--to',
      'sandbox',
      '--model',
      'handover',
      '--watch',
    ]);
    const task = await firstOpen('task');
    expect(task.title).toBe('Sign off shop-web 1.0.0 on sandbox-1');
    const listed = await succeed(['task', 'list', '--state', 'open']);
    expect(rowOf(listed.stdout, task.id)).toMatch(
      /open\s+Sign off shop-web 1\.0\.0 on sandbox-1\s+practitioner\s+2\s/,
    );

    const unticked = await slipway(
      ['task', 'complete', task.id, '--evidence', 'All green', '--check', 'Smoke test done'],
      server.tokens.practitioner,
    );
    expect(unticked.code).toBe(1);
    expect(unticked.stderr).toContain('missing: Runbook updated');
    const done = await succeed(
      [
        'task',
        'complete',
        task.id,
        '--evidence',
        'All green',
        '--check',
        'Smoke test done',
        '--check',
        'Runbook updated',
      ],
      server.tokens.practitioner,
    );
    expect(done.stdout).toMatch(/^State:\s+completed$/m);

    const run = await deploying;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      '☐ manual task opened: Sign off shop-web 1.0.0 on sandbox-1 (on sandbox-1) for role practitioner',
    );
    expect(run.stdout).toContain('[ ] Runbook updated');
    expect(run.stdout).toContain(
      `done:   slipway task complete ${task.id} --evidence "…" --check "Smoke test done" --check "Runbook updated"`,
    );
    expect(run.stdout).toContain('✓ manual task completed by as-practitioner; evidence: All green');
    expect(run.stdout).toMatch(/into sandbox succeeded/);
  });

  it('verifies the records, and names the first broken link after a row is edited in the database', async () => {
    const intact = await succeed(['records', 'verify']);
    expect(intact.stdout).toMatch(/^Records intact: \d+ deployments, \d+ events checked\.$/m);

    const [deployment] = (await server.store.deployments.list({}, { limit: 1 })).items;
    if (deployment === undefined) throw new Error('expected a deployment');
    const one = await succeed(['records', 'verify', '--deployment', deployment.id]);
    expect(one.stdout).toMatch(/^Records intact: 1 deployment, \d+ events checked\.$/m);

    const [, second] = await server.store.records.events(deployment.id);
    if (second === undefined) throw new Error('expected events');
    await server.store.db
      .updateTable('deployment_events')
      .set({ data: JSON.stringify({ from: 'requested', to: 'planned', reason: 'Nothing to see here.' }) })
      .where('id', '=', second.id)
      .execute();
    const broken = await slipway(['records', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(
      `Records BROKEN: Event 2 (${second.id}, transition) was altered after it was recorded.`,
    );
    expect(broken.stdout).toMatch(new RegExp(`^Deployment:\\s+${deployment.id}$`, 'm'));
    expect(broken.stdout).toMatch(/^Problem:\s+content-altered$/m);
  });
});
