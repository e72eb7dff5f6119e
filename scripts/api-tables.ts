import { buildServer } from '../src/api/index.js';
import { permissions, roles } from '../src/domain/index.js';
import { ContextLoader, DeploymentCommands } from '../src/engine/index.js';
import { AccessControl } from '../src/governance/index.js';
import { Store } from '../src/store/index.js';

/**
 * The permission table and the route table of docs/api.md, generated from the permission
 * table in src/domain/roles.ts and the server's own route list, so the docs cannot drift.
 */
export async function apiTables(): Promise<string> {
  const store = await Store.open({ sqliteFile: ':memory:' });
  try {
    const app = await buildServer({
      store,
      access: new AccessControl(store),
      commands: new DeploymentCommands(store, new ContextLoader(store)),
      logLevel: 'silent',
    });
    await app.ready();
    const lines = [
      `| action | ${roles.join(' | ')} |`,
      `| --- | ${roles.map(() => ':---:').join(' | ')} |`,
      ...Object.entries(permissions).map(
        ([action, allowed]) =>
          `| \`${action}\` | ${roles.map((role) => ((allowed as readonly string[]).includes(role) ? 'yes' : '')).join(' | ')} |`,
      ),
      '',
      'The routes and the action each performs:',
      '',
      '| method | route | action |',
      '| --- | --- | --- |',
      ...app.routeAccess
        .filter((route) => route.url !== '/metrics')
        .map((route) => {
          const url = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
          const access = route.access === 'public' ? 'public, no token' : `\`${route.access}\``;
          return `| ${route.method} | \`${url}\` | ${access} |`;
        }),
    ];
    await app.close();
    return `${lines.join('\n')}\n`;
  } finally {
    await store.close();
  }
}

const start = '<!-- api-tables:start -->';
const end = '<!-- api-tables:end -->';

/** Replaces the generated part of a document. */
export function withTables(document: string, tables: string): string {
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from === -1 || to === -1) throw new Error('docs/api.md lacks the api-tables markers');
  return `${document.slice(0, from + start.length)}\n${tables}${document.slice(to)}`;
}
