/*
 * The deployment model: its schema, parsing with located problems, the rules beyond the
 * schema, and the pure helpers built on it (requirements, entry criteria, templates, diff,
 * dry-run plans, fingerprints). Step types and rollout strategies are seams of their own.
 */
export * from '../rollout/index.js';
export * from '../steps/index.js';
export * from './actor.js';
export * from './compile.js';
export * from './diff.js';
export * from './duration.js';
export * from './entry-criteria.js';
export * from './fingerprint.js';
export * from './json-schema.js';
export * from './parse.js';
export * from './parse-result.js';
export * from './plan.js';
export * from './requirement.js';
export * from './rules.js';
export * from './schema.js';
export * from './template.js';
