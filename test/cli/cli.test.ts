import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const binary = join(root, 'dist/src/cli/main.js');

/**
 * The tests run the built binary, as users do. `npm test` builds right before vitest;
 * run in any other way (e.g. `npx vitest`), this builds first so the binary is current.
 */
function ensureBuilt(): void {
  if (process.env.npm_lifecycle_event === 'test' && existsSync(binary)) return;
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

interface CliOptions {
  /** The token in SLIPWAY_TOKEN; undefined leaves it unset. Default: the admin token. */
  token?: string | undefined;
  url?: string;
  dataDir?: string;
}

const digestA = `sha256:${'a'.repeat(64)}`;
const digestB = `sha256:${'b'.repeat(64)}`;

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

function expectNoStackTrace(run: CliRun): void {
  expect(run.stderr).not.toMatch(/^\s+at\s/m);
  expect(run.stdout).not.toMatch(/^\s+at\s/m);
}

/** Lines of a table whose first cell is the given text. */
function rowOf(table: string, first: string): string | undefined {
  return table.split('\n').find((line) => line.split(/\s{2,}/)[0] === first);
}

describe('slipway CLI against a listening server', () => {
  let server: TestServer;
  let url: string;
  let scratch: string;
  let emptyDataDir: string;

  /** Runs the built binary asynchronously, so the in-process server keeps answering. */
  function slipway(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (!name.startsWith('SLIPWAY_')) env[name] = value;
    }
    env.SLIPWAY_URL = options.url ?? url;
    env.SLIPWAY_DATA_DIR = options.dataDir ?? emptyDataDir;
    const token = 'token' in options ? options.token : server.adminToken;
    if (token !== undefined) env.SLIPWAY_TOKEN = token;
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
      child.once('error', reject);
      child.once('close', (code) => resolveRun({ code, stdout, stderr }));
    });
  }

  async function json(args: readonly string[], options: CliOptions = {}): Promise<Record<string, unknown>> {
    const run = await slipway([...args, '--json'], options);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as Record<string, unknown>;
  }

  beforeAll(async () => {
    ensureBuilt();
    scratch = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
    emptyDataDir = join(scratch, 'no-data');
    server = await startTestServer('sqlite');
    url = await server.listen();
  });

  afterAll(async () => {
    await server?.close();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('creates, lists and shows services as aligned tables, as JSON, and page by page', async () => {
    const created = await slipway([
      'service',
      'create',
      'shop',
      '--owner',
      'team-shop',
      '--description',
      'Web shop',
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('Created service shop.');
    expect(created.stdout).toMatch(/^Owner:\s+team-shop$/m);

    const checkout = await json(['service', 'create', 'checkout']);
    expect(checkout).toMatchObject({ name: 'checkout', description: '' });
    expect(checkout.id).toMatch(/^[0-9a-f-]{36}$/);

    const list = await slipway(['service', 'list']);
    expect(list.code).toBe(0);
    const [header = ''] = list.stdout.split('\n');
    expect(header).toMatch(/^NAME\s+OWNER\s+DESCRIPTION\s+CREATED$/);
    const shopRow = rowOf(list.stdout, 'shop') ?? '';
    expect(shopRow.indexOf('team-shop')).toBe(header.indexOf('OWNER'));
    expect(shopRow.indexOf('Web shop')).toBe(header.indexOf('DESCRIPTION'));

    const firstPage = await slipway(['service', 'list', '--limit', '1']);
    const cursor = /--cursor (\S+)/.exec(firstPage.stdout)?.[1];
    expect(cursor).toBeDefined();
    expect(rowOf(firstPage.stdout, 'shop')).toBeDefined();
    const secondPage = await slipway(['service', 'list', '--limit', '1', '--cursor', cursor ?? '']);
    expect(rowOf(secondPage.stdout, 'checkout')).toBeDefined();
    expect(rowOf(secondPage.stdout, 'shop')).toBeUndefined();
    expect(secondPage.stdout).not.toContain('--cursor');

    const page = await json(['service', 'list', '--limit', '1']);
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).toBe(cursor);
    expect(await json(['service', 'show', 'shop'])).toMatchObject({ name: 'shop', owner: 'team-shop' });
  });

  it('creates components of several kinds under a service and filters them by kind', async () => {
    for (const [name, kind] of [
      ['shop-web', 'software'],
      ['shop-docs', 'documentation'],
      ['rack-psu', 'hardware'],
    ] as const) {
      const run = await slipway(['component', 'create', name, '--service', 'shop', '--kind', kind]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Created ${kind} component ${name}.`);
    }
    const hardware = await json(['component', 'list', '--kind', 'hardware']);
    expect((hardware.items as { name: string }[]).map((component) => component.name)).toEqual(['rack-psu']);

    const shop = await slipway(['service', 'show', 'shop']);
    expect(rowOf(shop.stdout, 'shop-docs')).toMatch(/documentation/);
    expect(rowOf(shop.stdout, 'rack-psu')).toMatch(/hardware/);
    expect((await slipway(['component', 'show', 'shop-web'])).stdout).toMatch(/^Kind:\s+software$/m);

    const unknownKind = await slipway([
      'component',
      'create',
      'x',
      '--service',
      'shop',
      '--kind',
      'spaceship',
    ]);
    expect(unknownKind.code).toBe(2);
    expect(unknownKind.stderr).toContain('Allowed choices are software, infrastructure, hardware');
  });

  it('registers a version with a manifest, and a repeat with the same digest changes nothing', async () => {
    const manifest = join(scratch, 'manifest.json');
    writeFileSync(
      manifest,
      JSON.stringify([
        { name: 'shop-web.tar.gz', kind: 'file', digest: digestA },
        { name: 'licence', kind: 'licence-key', serialNumber: 'LIC-42' },
      ]),
    );
    const args = ['version', 'create', 'shop-web', '1.4.2', '--digest', digestA, '--size', '1234'];
    const first = await slipway([
      ...args,
      '--manifest',
      manifest,
      '--source',
      'https://artifacts.example.com/shop-web-1.4.2.tgz',
      '--commit',
      'abcdef1',
      '--committed-at',
      '2024-05-01T10:00:00Z',
      '--changelog',
      'Faster checkout',
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Registered shop-web@1.4.2.');
    expect(rowOf(first.stdout.split('Manifest (2 parts):\n')[1] ?? '', 'licence')).toMatch(
      /licence-key\s+LIC-42/,
    );

    const repeat = await slipway(args);
    expect(repeat.code).toBe(0);
    expect(repeat.stdout).toContain(
      'shop-web@1.4.2 was already registered with this digest; nothing changed.',
    );

    const shown = await json(['version', 'show', 'shop-web@1.4.2']);
    expect(shown).toMatchObject({
      version: '1.4.2',
      digest: digestA,
      size: 1234,
      sourceUri: 'https://artifacts.example.com/shop-web-1.4.2.tgz',
      commitSha: 'abcdef1',
      changelog: 'Faster checkout',
    });
    expect(shown.manifest).toHaveLength(2);
    expect((await json(['version', 'list', 'shop-web'])).items).toHaveLength(1);
  });

  it('computes digest and size from a local file with --file', async () => {
    const content = Buffer.from('the 2024.1 handbook\n'.repeat(1000));
    const file = join(scratch, 'handbook.pdf');
    writeFileSync(file, content);
    const expected = `sha256:${createHash('sha256').update(content).digest('hex')}`;
    const version = await json(['version', 'create', 'shop-docs', '2024.1', '--file', file]);
    expect(version).toMatchObject({ digest: expected, size: content.length });

    const mismatch = await slipway([
      'version',
      'create',
      'shop-docs',
      '2024.2',
      '--file',
      file,
      '--digest',
      digestB,
    ]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain(`The digest of ${file} is ${expected}`);
    const missing = await slipway([
      'version',
      'create',
      'shop-docs',
      '2024.2',
      '--file',
      join(scratch, 'nope'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
    expectNoStackTrace(missing);
  });

  it('refuses a version re-registered with another digest with 409, and nothing changes', async () => {
    const run = await slipway([
      'version',
      'create',
      'shop-web',
      '1.4.2',
      '--digest',
      digestB,
      '--size',
      '1234',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`Version 1.4.2 of shop-web is already registered with digest ${digestA}`);
    expect(run.stderr).toContain('(version_conflict, HTTP 409)');
    expect(run.stderr).toContain(`offeredDigest: ${digestB}`);
    expectNoStackTrace(run);

    const asJson = await slipway([
      'version',
      'create',
      'shop-web',
      '1.4.2',
      '--digest',
      digestB,
      '--size',
      '1',
      '--json',
    ]);
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ error: { code: 'version_conflict' } });
    expect(await json(['version', 'show', 'shop-web', '1.4.2'])).toMatchObject({
      digest: digestA,
      size: 1234,
    });
  });

  it('reports a 400 naming the bad field', async () => {
    const run = await slipway([
      'version',
      'create',
      'shop-web',
      '1.5.0',
      '--digest',
      'sha256:xyz',
      '--size',
      '1',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('/body/digest');
    expect(run.stderr).toContain('(validation_failed, HTTP 400)');
    expectNoStackTrace(run);

    const manifest = join(scratch, 'bad-manifest.json');
    writeFileSync(manifest, JSON.stringify([{ name: 'rack', kind: 'device' }]));
    const asJson = await slipway([
      ...['version', 'create', 'rack-psu', 'r1', '--digest', digestA, '--size', '1'],
      ...['--manifest', manifest, '--json'],
    ]);
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      error: { code: 'validation_failed', details: { problems: [{ path: '/body/manifest/0' }] } },
    });
    expect(asJson.stderr).toContain('/body/manifest/0 must have a digest or a serialNumber');
    expect((await json(['version', 'list', 'rack-psu'])).items).toEqual([]);
  });

  it('creates a release from component@version references', async () => {
    const run = await slipway([
      ...['release', 'create', 'spring', '--description', 'Spring sale'],
      ...['--version', 'shop-web@1.4.2', '--version', 'shop-docs@2024.1'],
    ]);
    expect(run.code).toBe(0);
    expect(rowOf(run.stdout, 'shop-web')).toMatch(new RegExp(`1\\.4\\.2\\s+${digestA}`));
    const release = await json(['release', 'show', 'spring']);
    expect(
      (release.versions as { component: string; version: string }[]).map((item) => item.version).sort(),
    ).toEqual(['1.4.2', '2024.1']);
    expect(rowOf((await slipway(['release', 'list'])).stdout, 'spring')).toContain('Spring sale');

    const unknown = await slipway(['release', 'create', 'autumn', '--version', 'shop-web@9.9']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No version "shop-web@9.9" exists. (not_found, HTTP 404)');
    const malformed = await slipway(['release', 'create', 'autumn', '--version', 'shop-web']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('component@version');
  });

  it('manages environments of four tiers in flow order', async () => {
    await json(['env', 'create', 'dev', '--tier', 'development', '--order', '10']);
    await json(['env', 'create', 'test', '--tier', 'test', '--order', '20']);
    await json([
      'env',
      'create',
      'staging',
      '--tier',
      'staging',
      '--order',
      '30',
      '--attribute',
      'region=eu-west',
    ]);
    const live = await json([
      ...['env', 'create', 'live', '--tier', 'live', '--order', '40', '--protected'],
      ...['--attribute', 'region=eu-west', '--attribute', 'network=dmz'],
    ]);
    expect(live).toMatchObject({ protected: true, attributes: { region: 'eu-west', network: 'dmz' } });

    const list = await slipway(['env', 'list']);
    const names = list.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(/\s+/)[1]);
    expect(names).toEqual(['dev', 'test', 'staging', 'live']);
    const protectedOnly = await json(['env', 'list', '--protected']);
    expect((protectedOnly.items as { name: string }[]).map((environment) => environment.name)).toEqual([
      'live',
    ]);

    const updated = await json(['env', 'update', 'test', '--purpose', 'Functional tests', '--protected']);
    expect(updated).toMatchObject({ purpose: 'Functional tests', protected: true, tier: 'test' });
    expect(await json(['env', 'update', 'test', '--no-protected'])).toMatchObject({ protected: false });
    const nothing = await slipway(['env', 'update', 'test']);
    expect(nothing.code).toBe(2);

    const badTier = await slipway(['env', 'create', 'prod', '--tier', 'production']);
    expect(badTier.code).toBe(2);
    expect(badTier.stderr).toContain('Allowed choices are development, integration, test, staging, live');
  });

  it('declares targets with typed facts, and refuses to delete an environment that has targets', async () => {
    const target = await json([
      ...['target', 'create', 'staging', 'web-1', '--kind', 'host', '--label', 'role=web'],
      ...['--fact', 'os=linux', '--fact', 'disk_free_gb=40', '--fact', 'power_backup=true'],
      ...['--fact', 'zip=01234', '--fact-string', 'build=42'],
    ]);
    expect(target.facts).toEqual({
      os: 'linux',
      disk_free_gb: 40,
      power_backup: true,
      zip: '01234',
      build: '42',
    });
    await json(['target', 'create', 'staging', 'db-1', '--kind', 'host', '--label', 'role=db']);

    const web = await json(['target', 'list', 'staging', '--label', 'role=web']);
    expect((web.items as { name: string }[]).map((item) => item.name)).toEqual(['web-1']);
    const shown = await slipway(['target', 'show', 'staging', 'web-1']);
    expect(rowOf(shown.stdout, 'disk_free_gb')).toMatch(/^disk_free_gb\s+40\s+number$/);
    expect(rowOf(shown.stdout, 'build')).toMatch(/^build\s+42\s+string$/);

    const changed = await json(['target', 'update', 'staging', 'db-1', '--fact', 'disk_free_gb=12.5']);
    expect(changed.facts).toEqual({ disk_free_gb: 12.5 });

    const refused = await slipway(['env', 'delete', 'staging']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Environment staging still has 2 target(s)');
    expect(refused.stderr).toContain('(environment_in_use, HTTP 409)');

    const removed = await slipway(['target', 'delete', 'staging', 'db-1']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('Deleted target db-1 from staging.');
    await json(['env', 'create', 'scratch', '--tier', 'integration']);
    expect((await slipway(['env', 'delete', 'scratch'])).code).toBe(0);
    const gone = await slipway(['env', 'show', 'scratch']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('(not_found, HTTP 404)');

    const badFact = await slipway([
      'target',
      'create',
      'staging',
      'web-9',
      '--kind',
      'host',
      '--fact',
      'nonsense',
    ]);
    expect(badFact.code).toBe(2);
    expect(badFact.stderr).toContain("option '--fact <key=value>' argument 'nonsense' is invalid");
  });

  it('creates a CI principal with a token, issues and revokes another token', async () => {
    const created = await json(['token', 'create', '--name', 'ci', '--role', 'service-owner']);
    expect(created.principal).toMatchObject({ name: 'ci', kind: 'system', roles: ['service-owner'] });
    const ciToken = String(created.token);

    const whoami = await slipway(['whoami'], { token: ciToken });
    expect(whoami.stdout).toMatch(/^Principal:\s+ci$/m);
    expect(whoami.stdout).toMatch(/^Roles:\s+service-owner$/m);
    expect(whoami.stdout).toMatch(/^Token from:\s+SLIPWAY_TOKEN$/m);

    const registered = await slipway(
      ['version', 'create', 'shop-web', '1.4.3', '--digest', digestB, '--size', '10'],
      { token: ciToken },
    );
    expect(registered.code).toBe(0);
    const forbidden = await slipway(['env', 'create', 'qa', '--tier', 'test'], { token: ciToken });
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('(forbidden, HTTP 403)');
    expect(forbidden.stderr).toContain('allowedRoles: deployment-manager, admin');

    const issued = await json([
      'token',
      'create',
      '--principal',
      'ci',
      '--name',
      'ci-2',
      '--expires-in-days',
      '30',
    ]);
    const metadata = issued.metadata as { id: string; expiresAt?: string };
    expect(Date.parse(metadata.expiresAt ?? '') - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const secondToken = String(issued.token);
    expect((await slipway(['whoami'], { token: secondToken })).code).toBe(0);

    const list = await slipway(['token', 'list', '--principal', 'ci']);
    expect(list.stdout.split('\n').filter((line) => line.includes(' ci '))).toHaveLength(2);
    expect(list.stdout).not.toContain(secondToken);

    const revoked = await slipway(['token', 'revoke', metadata.id]);
    expect(revoked.stdout).toContain('Revoked token ci-2 of ci.');
    const refused = await slipway(['whoami'], { token: secondToken });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(unauthenticated, HTTP 401)');

    const mixed = await slipway(['token', 'create', '--principal', 'ci', '--name', 'x', '--role', 'admin']);
    expect(mixed.code).toBe(2);
  });

  it('exits 1 with the server message on a wrong token, and says where the token came from', async () => {
    const run = await slipway(['service', 'list'], { token: 'slw_not-a-real-token' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('The API token is unknown, revoked or expired. (unauthenticated, HTTP 401)');
    expect(run.stderr).toContain('The token in SLIPWAY_TOKEN was refused.');
    expectNoStackTrace(run);

    const overridden = await slipway(['service', 'list', '--token', 'slw_other']);
    expect(overridden.stderr).toContain('The token given with --token was refused.');
  });

  it('falls back to the admin token file of the data dir when SLIPWAY_TOKEN is unset', async () => {
    const dataDir = join(scratch, 'data');
    const tokenFile = join(dataDir, 'admin-token');
    const none = await slipway(['whoami'], { token: undefined, dataDir });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`No API token was given: pass --token, set SLIPWAY_TOKEN, or run where`);
    expect(none.stderr).toContain(tokenFile);

    mkdirSync(dataDir, { recursive: true });
    writeFileSync(tokenFile, `${server.adminToken}\n`, { mode: 0o600 });
    const run = await slipway(['whoami'], { token: undefined, dataDir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Principal:\s+admin$/m);
    expect(run.stdout).toMatch(
      new RegExp(`^Token from:\\s+${tokenFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
    );
  });

  it('says which URL could not be reached and how to start a server', async () => {
    const port = await freePort();
    const unreachable = `http://127.0.0.1:${port}`;
    const run = await slipway(['service', 'list'], { url: unreachable });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Could not reach a Slipway server at ${unreachable} (connection refused).`);
    expect(run.stderr).toContain('Start a server with `slipway up`');
    expectNoStackTrace(run);

    const notUrl = await slipway(['service', 'list', '--url', 'localhost:4300']);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toContain('must start with http:// or https://');
  });

  it('lists the audit trail with filters, naming the actors', async () => {
    const environments = await json(['audit', 'list', '--action', 'environment.created']);
    const items = environments.items as { action: string; details: { name?: string } }[];
    expect(items.map((item) => item.details.name)).toEqual(['dev', 'test', 'staging', 'live', 'scratch']);
    expect(items.every((item) => item.action === 'environment.created')).toBe(true);

    const byCi = await slipway(['audit', 'list', '--actor', 'ci']);
    const [header = '', ...rows] = byCi.stdout.trim().split('\n');
    expect(header).toMatch(/^AT\s+ACTOR\s+ACTION\s+SUBJECT\s+DETAILS$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/\sci\s+version\.registered\s/);
  });

  it('exits 2 on usage errors without contacting the server', async () => {
    // Nothing listens here: a command that tried to reach the server would exit 1 instead.
    const nowhere = { url: `http://127.0.0.1:${await freePort()}` };
    const missing = await slipway(['version', 'create', 'shop-web'], nowhere);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'version'");
    const noContent = await slipway(['version', 'create', 'shop-web', '2.0.0'], nowhere);
    expect(noContent.code).toBe(2);
    expect(noContent.stderr).toContain('Give --digest and --size, or --file');
    const unknown = await slipway(['service', 'frobnicate'], nowhere);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    for (const run of [missing, noContent, unknown]) expect(run.stderr).not.toContain('Could not reach');
  });
});
