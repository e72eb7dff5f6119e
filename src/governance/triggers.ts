import { createHash } from 'node:crypto';
import {
  ConflictError,
  type Deployment,
  type FieldProblem,
  InputError,
  type Principal,
  SlipwayError,
} from '../domain/index.js';
import type { DeploymentCommands } from '../engine/index.js';
import {
  type InboundCompletion,
  InboundOutcome,
  type NewTriggerRule,
  type Page,
  type PageRequest,
  type SigningTriggerRule,
  type Store,
  type TriggerRule,
  type TriggerRuleChanges,
  type TriggerRuleFilter,
} from '../store/index.js';

/**
 * A push of a branch or tag as trigger rules read it. It has the shape of notify's
 * `SourcePush`, which the inbound webhooks produce; it is restated here because governance
 * sits below notify and may not import it.
 */
export interface TriggerPush {
  source: string;
  repository: string;
  ref: string;
  branch?: string;
  tag?: string;
  commitSha: string;
  committedAt?: string;
  message?: string;
  commitUrl?: string;
  pusher: string;
}

/** The placeholders a version template may use, and what each becomes. */
export const VersionPlaceholder = {
  /** The pushed tag as it is (`v1.4.2`). */
  tag: 'tag',
  /** The pushed tag without a leading `v` (`1.4.2`). */
  tagVersion: 'tagVersion',
  /** The pushed branch, with `/` written as `-` (`release-2`). */
  branch: 'branch',
  /** The full commit id. */
  sha: 'sha',
  /** The first 7 characters of the commit id. */
  shortSha: 'shortSha',
} as const;
export type VersionPlaceholder = (typeof VersionPlaceholder)[keyof typeof VersionPlaceholder];
const placeholderNames: readonly string[] = Object.values(VersionPlaceholder);

const placeholderPattern = /\{([^{}]*)\}/g;
const versionPattern = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** Problems of a version template: unknown placeholders, or text no version string may hold. */
export function checkVersionTemplate(template: string, path = '/versionTemplate'): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const names = [...template.matchAll(placeholderPattern)].map((match) => match[1] ?? '');
  if (names.length === 0)
    problems.push({ path, message: `must use a placeholder: {${placeholderNames.join('}, {')}}` });
  for (const name of names) {
    if (!placeholderNames.includes(name))
      problems.push({
        path,
        message: `{${name}} is not a placeholder; use {${placeholderNames.join('}, {')}}`,
      });
  }
  const literal = template.replace(placeholderPattern, 'x');
  if (!versionPattern.test(literal))
    problems.push({ path, message: 'may hold letters, digits, ".", "_", "+" and "-" outside placeholders' });
  return problems;
}

/** Problems of a ref pattern: empty segments, or characters a ref cannot hold. */
export function checkRefPattern(pattern: string, path = '/refPattern'): FieldProblem[] {
  if (pattern.split('/').some((segment) => segment.length === 0))
    return [{ path, message: 'must not have empty segments (a leading, trailing or double "/")' }];
  if (/[\s~^:?[\\]/.test(pattern))
    return [{ path, message: 'may not contain spaces or ~ ^ : ? [ \\ (git forbids them in refs)' }];
  return [];
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index += 1) {
    const character = glob[index] as string;
    if (character === '*' && glob[index + 1] === '*') {
      source += '.*';
      index += 1;
    } else if (character === '*') source += '[^/]*';
    else source += character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * Whether a rule's ref pattern matches a push. A pattern that starts with `refs/` is a glob
 * over the full ref (`refs/tags/v*`); any other pattern is a glob over branch names (`main`,
 * `release/*`) and never matches a tag. `*` stays within one path segment, `**` crosses them.
 */
export function refMatches(pattern: string, push: Pick<TriggerPush, 'ref' | 'branch'>): boolean {
  if (pattern.startsWith('refs/')) return globToRegExp(pattern).test(push.ref);
  return push.branch !== undefined && globToRegExp(pattern).test(push.branch);
}

/** The version string a template makes of a push; `InputError` when the push lacks a placeholder's value. */
export function renderVersion(template: string, push: TriggerPush): string {
  const values: Record<VersionPlaceholder, string | undefined> = {
    tag: push.tag,
    tagVersion: push.tag?.replace(/^v(?=\d)/, ''),
    branch: push.branch?.replaceAll('/', '-'),
    sha: push.commitSha,
    shortSha: push.commitSha.slice(0, 7),
  };
  const version = template.replace(placeholderPattern, (_match, name: string) => {
    const value = placeholderNames.includes(name) ? values[name as VersionPlaceholder] : undefined;
    if (value === undefined)
      throw new InputError(
        `The version template "${template}" needs {${name}}, which a push of ${push.ref} does not have.`,
      );
    return value;
  });
  if (!versionPattern.test(version) || version.length > 100)
    throw new InputError(
      `The version template "${template}" made "${version}", which is not a valid version string.`,
    );
  return version;
}

/**
 * The digest a version registered from a push carries. A push names a commit, not an
 * artifact, so there are no bytes to hash: the digest is the SHA-256 of the commit id's text
 * (and the size 0). It still identifies the content uniquely, and registering the same
 * version string for another commit is a conflict, as for any version.
 */
export function commitDigest(commitSha: string): string {
  return `sha256:${createHash('sha256').update(commitSha, 'utf8').digest('hex')}`;
}

/** What became of one matching rule. */
export interface TriggerRuleResult {
  rule: string;
  component: string;
  environment: string;
  version?: string;
  deploymentId?: string;
  error?: { code: string; message: string };
}

/** What became of a push: the recorded outcome of its inbound delivery and each rule's result. */
export interface TriggerOutcome {
  outcome: InboundCompletion;
  detail: string;
  results: TriggerRuleResult[];
}

/** Who trigger rules act as: a system principal per source. */
const triggerRole = 'service-owner';

/**
 * Trigger rules and what a push does: a matching active rule registers the pushed commit
 * as a version of its component and requests a deployment of it with its model into its
 * environment, which starts the model's flow.
 */
export class TriggerCommands {
  constructor(
    private readonly store: Store,
    private readonly deployments: DeploymentCommands,
  ) {}

  private static check(input: { refPattern?: string; versionTemplate?: string }): void {
    const problems = [
      ...(input.refPattern === undefined ? [] : checkRefPattern(input.refPattern, '/body/refPattern')),
      ...(input.versionTemplate === undefined
        ? []
        : checkVersionTemplate(input.versionTemplate, '/body/versionTemplate')),
    ];
    if (problems.length > 0) throw new InputError('The trigger rule is not valid.', problems);
  }

  /** Creates a rule after checking its ref pattern and version template. */
  async createRule(input: NewTriggerRule, actor: Principal): Promise<TriggerRule> {
    TriggerCommands.check(input);
    return this.store.triggers.create(input, actor.id);
  }

  /** Changes a rule. */
  async updateRule(reference: string, changes: TriggerRuleChanges, actor: Principal): Promise<TriggerRule> {
    TriggerCommands.check(changes);
    return this.store.triggers.update(reference, changes, actor.id);
  }

  /** Deletes a rule. */
  async deleteRule(reference: string, actor: Principal): Promise<void> {
    await this.store.triggers.delete(reference, actor.id);
  }

  /** One rule by id or name. */
  async getRule(reference: string): Promise<TriggerRule> {
    return this.store.triggers.get(reference);
  }

  /** Rules by creation. */
  async listRules(filter: TriggerRuleFilter, page: PageRequest): Promise<Page<TriggerRule>> {
    return this.store.triggers.list(filter, page);
  }

  /** The active rules of a source for a repository, with the secrets to verify its requests. */
  async rulesFor(source: string, repository: string): Promise<SigningTriggerRule[]> {
    return this.store.triggers.activeFor(source, repository);
  }

  /** The system principal a source's triggers act as, created on first use. */
  async principalFor(source: string): Promise<Principal> {
    const existing = await this.store.principals.find(source);
    if (existing !== undefined) return existing;
    try {
      return await this.store.principals.create(
        { name: source, kind: 'system', roles: [triggerRole] },
        undefined,
      );
    } catch (error) {
      // Two first pushes raced; the other one created it.
      if (!(error instanceof ConflictError)) throw error;
      return this.store.principals.get(source);
    }
  }

  /**
   * Acts on a verified push: each active rule of `ruleIds` (the rules whose secret verified
   * the request) that matches the repository and ref registers the version and requests the
   * deployment. Records the inbound delivery's outcome: `processed` when a deployment was
   * requested, `ignored` when no rule matched, `failed` when every matching rule failed
   * (which lets the sender's retry be processed).
   */
  async handlePush(
    push: TriggerPush,
    inboundId: string,
    ruleIds: readonly string[],
  ): Promise<TriggerOutcome> {
    const rules = (await this.rulesFor(push.source, push.repository)).filter(
      (rule) => ruleIds.includes(rule.id) && refMatches(rule.refPattern, push),
    );
    if (rules.length === 0) {
      const detail = `No active trigger rule for ${push.repository} matches ${push.ref}.`;
      await this.store.inbound.complete(inboundId, InboundOutcome.ignored, detail);
      return { outcome: InboundOutcome.ignored, detail, results: [] };
    }
    const actor = await this.principalFor(push.source);
    const results: TriggerRuleResult[] = [];
    for (const rule of rules) {
      const result: TriggerRuleResult = {
        rule: rule.name,
        component: rule.component,
        environment: rule.environment,
      };
      try {
        const deployment = await this.fire(rule, push, actor, result);
        result.deploymentId = deployment.id;
      } catch (error) {
        if (!(error instanceof SlipwayError)) {
          await this.store.inbound
            .complete(inboundId, InboundOutcome.failed, `Rule ${rule.name} failed unexpectedly.`)
            .catch(() => undefined);
          throw error;
        }
        result.error = { code: error.code, message: error.message };
      }
      results.push(result);
    }
    const started = results.filter((result) => result.deploymentId !== undefined);
    const failed = results.filter((result) => result.error !== undefined);
    const outcome = started.length > 0 ? InboundOutcome.processed : InboundOutcome.failed;
    const detail = [
      ...started.map(
        (result) =>
          `Rule ${result.rule} requested deployment ${result.deploymentId} of ${result.component}@${result.version} into ${result.environment}.`,
      ),
      ...failed.map((result) => `Rule ${result.rule} failed: ${result.error?.message}`),
    ].join(' ');
    await this.store.inbound.complete(inboundId, outcome, detail);
    return { outcome, detail, results };
  }

  private async fire(
    rule: SigningTriggerRule,
    push: TriggerPush,
    actor: Principal,
    result: TriggerRuleResult,
  ): Promise<Deployment> {
    const version = renderVersion(rule.versionTemplate, push);
    result.version = version;
    await this.store.catalog.registerVersion(
      rule.componentId,
      {
        version,
        digest: commitDigest(push.commitSha),
        size: 0,
        sourceUri: push.commitUrl ?? `${push.source}:${push.repository}@${push.commitSha}`,
        commitSha: push.commitSha,
        ...(push.committedAt !== undefined && { committedAt: push.committedAt }),
        ...(push.message !== undefined && { changelog: push.message }),
      },
      actor.id,
    );
    return this.deployments.request(
      {
        versions: [{ component: rule.componentId, version }],
        environment: rule.environmentId,
        model: rule.model,
        reason: `Triggered by a ${push.source} push of ${push.ref} (${push.commitSha.slice(0, 7)}) by ${push.pusher}, rule ${rule.name}.`,
      },
      actor,
    );
  }
}
