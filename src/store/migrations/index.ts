import type { Migration } from 'kysely';
import * as foundation from './0001-foundation.js';
import * as deployments from './0002-deployments.js';
import * as notify from './0003-notify.js';
import * as governance from './0004-governance.js';
import * as incidentsTriggers from './0005-incidents-triggers.js';

/**
 * Every migration, in order. A landed migration is never edited: change the schema by
 * adding the next number.
 */
export const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-deployments': deployments,
  '0003-notify': notify,
  '0004-governance': governance,
  '0005-incidents-triggers': incidentsTriggers,
};
