import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiTables, withTables } from '../../scripts/api-tables.js';

describe('docs/api.md', () => {
  it('lists every route and the current permission table (run npm run docs:api after changing them)', async () => {
    const document = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    expect(withTables(document, await apiTables())).toBe(document);
  });
});
