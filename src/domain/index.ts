export * from './catalog.js';
export * from './entities.js';
export * from './environments.js';
export * from './errors.js';
export * from './roles.js';
