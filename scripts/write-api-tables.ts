import { readFileSync, writeFileSync } from 'node:fs';
import { apiTables, withTables } from './api-tables.js';

// Regenerates the permission and route tables of docs/api.md: npm run docs:api
const path = new URL('../docs/api.md', import.meta.url);
writeFileSync(path, withTables(readFileSync(path, 'utf8'), await apiTables()));
