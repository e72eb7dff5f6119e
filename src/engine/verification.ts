import { evaluateRequirements, type RequirementResult } from '../domain/index.js';
import type { DeploymentContext } from './context.js';

/** One check of one component version. */
export interface ComponentCheck {
  check: string;
  passed: boolean;
  message: string;
}

/** The verification of the versions a deployment moves. */
export interface ComponentReport {
  passed: boolean;
  summary: string;
  components: { component: string; version: string; digest: string; checks: ComponentCheck[] }[];
}

const digestPattern = /^sha256:[0-9a-f]{64}$/;

/**
 * Verifies each version against the catalog: still registered with the digest pinned when
 * the deployment was requested, and its manifest lists every part the model requires.
 */
export function verifyComponents(
  context: DeploymentContext,
  progress: Record<string, unknown>,
): ComponentReport {
  const pinned = (progress.pinned ?? {}) as Record<string, string>;
  const components = context.members.map((member) => {
    const checks: ComponentCheck[] = [];
    const expected = pinned[member.versionId];
    checks.push({
      check: 'digest',
      passed: digestPattern.test(member.digest) && (expected === undefined || expected === member.digest),
      message:
        expected !== undefined && expected !== member.digest
          ? `The catalog now holds ${member.digest} but ${expected} was registered when the deployment was requested.`
          : digestPattern.test(member.digest)
            ? `Registered with ${member.digest}.`
            : `The catalog digest "${member.digest}" is not a SHA-256 digest.`,
    });
    if (context.model.requiredParts.length > 0) {
      const listed = new Set((member.manifest ?? []).map((part) => part.name));
      const missing = context.model.requiredParts.filter((part) => !listed.has(part));
      checks.push({
        check: 'manifest',
        passed: missing.length === 0,
        message:
          missing.length === 0
            ? `The manifest lists all ${context.model.requiredParts.length} required parts.`
            : `The manifest of ${member.component}@${member.version} is missing ${missing.map((part) => `"${part}"`).join(', ')}.`,
      });
    }
    for (const part of member.manifest ?? []) {
      if (part.digest === undefined && part.serialNumber === undefined) {
        checks.push({
          check: 'manifest-part',
          passed: false,
          message: `Part "${part.name}" has neither a digest nor a serial number.`,
        });
      }
    }
    return { component: member.component, version: member.version, digest: member.digest, checks };
  });
  const failures = components.flatMap((component) =>
    component.checks.filter((check) => !check.passed).map((check) => check.message),
  );
  return {
    passed: failures.length === 0,
    summary:
      failures.length === 0
        ? 'All components verified.'
        : `Component verification failed: ${failures.join(' ')}`,
    components,
  };
}

/** The verification of the target environment. */
export interface EnvironmentReport {
  passed: boolean;
  summary: string;
  targets: { target: string; results: RequirementResult[] }[];
}

/** Checks every target's facts against the requirements, per target and per requirement. */
export function verifyEnvironment(context: DeploymentContext): EnvironmentReport {
  const requirementsExist = context.stage.requirements.length > 0;
  if (context.targets.length === 0) {
    return requirementsExist
      ? {
          passed: false,
          summary: `Environment ${context.environment.name} has no targets, so the model's target requirements cannot be checked. Declare the targets (with their facts) first.`,
          targets: [],
        }
      : { passed: true, summary: 'No target requirements.', targets: [] };
  }
  const targets = context.targets.map((target) => ({
    target: target.name,
    results: evaluateRequirements(context.stage.requirements, target.facts),
  }));
  const failures = targets.flatMap((target) =>
    target.results.filter((result) => !result.passed).map((result) => `${target.target}: ${result.message}`),
  );
  return {
    passed: failures.length === 0,
    summary:
      failures.length === 0
        ? `All ${targets.length} target(s) meet the requirements.`
        : `Target environment ${context.environment.name} does not meet the model's requirements: ${failures.join('; ').replace(/\.$/, '')}.`,
    targets,
  };
}
