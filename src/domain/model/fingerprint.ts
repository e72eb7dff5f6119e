import { canonicalJson } from '../records.js';
import type { DeploymentModel } from './schema.js';

/**
 * A stable text standing for a parsed model: canonical JSON, keys sorted. Two texts that
 * differ only in comments, key order, quoting or layout give the same fingerprint, so the
 * store can tell whether applying a model changes anything. Defaults are not filled in:
 * writing `promotion: manual` where it was left out counts as a change, as the author made one.
 */
export function modelFingerprint(model: DeploymentModel): string {
  return canonicalJson(model);
}
