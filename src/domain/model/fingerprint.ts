import { createHash } from 'node:crypto';
import { canonicalJson } from '../records.js';
import type { DeploymentModel } from './schema.js';

/**
 * A stable fingerprint of a parsed model: the SHA-256 of its canonical JSON (keys sorted).
 * Two texts that differ only in comments, key order, quoting or layout give the same
 * fingerprint, so the store can tell whether applying a model changes anything. Defaults
 * are not filled in: writing `promotion: manual` where it was left out counts as a change,
 * as the author made one.
 */
export function modelFingerprint(model: DeploymentModel): string {
  return `sha256:${createHash('sha256').update(canonicalJson(model)).digest('hex')}`;
}
