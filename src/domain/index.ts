export * from './catalog.js';
export * from './deployments.js';
export * from './entities.js';
export * from './environments.js';
export * from './errors.js';
export * from './lifecycle.js';
export * from './records.js';
export * from './roles.js';
