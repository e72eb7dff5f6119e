import { type Static, Type } from '@sinclair/typebox';
import { Name, RoleSchema, TierSchema } from '../entities.js';
import type { Tier } from '../environments.js';
import type { FieldProblem } from '../errors.js';
import { authorizingChangeStates, ChangeState, ChangeType } from './changes.js';
import { minuteMilliseconds } from './time.js';
import { type GovernanceValidation, governanceSchemaProblems, invalid, valueOrThrow } from './validation.js';

/*
 * Change policies say, per environment (or tier) and model, whether a deployment needs an
 * authorized change, which models are standard changes, whether emergency changes may go
 * ahead before authorization, and which approvals a deployment needs. The decisions here are
 * pure: the engine asks them and records what they say.
 */

/** Who must approve a deployment, and how many of them. */
export const ApprovalRuleSchema = Type.Object(
  {
    count: Type.Integer({
      minimum: 0,
      maximum: 20,
      description: 'How many distinct people must approve; 0 turns approvals off',
    }),
    roles: Type.Optional(
      Type.Array(RoleSchema, {
        minItems: 1,
        maxItems: 10,
        uniqueItems: true,
        description: 'People holding any of these roles may approve',
      }),
    ),
    principals: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        minItems: 1,
        maxItems: 100,
        uniqueItems: true,
        description: 'These named people (principal ids) may approve, whatever their roles',
      }),
    ),
    expiresAfterMinutes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 525_600,
        description: 'An approval older than this no longer counts; default: approvals do not expire',
      }),
    ),
    requesterMayApprove: Type.Optional(
      Type.Boolean({
        description:
          'Whether the requester’s own approval counts; default true, and never in a protected environment',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Without roles and principals anyone may approve; with both, either qualifies a person',
  },
);
/** Who must approve a deployment, and how many of them. */
export type ApprovalRule = Static<typeof ApprovalRuleSchema>;

/** The change policy of an environment or tier, optionally narrowed to one model. */
export const ChangePolicySchema = Type.Object(
  {
    environment: Type.Optional(Type.String({ ...Name, description: 'The environment it governs' })),
    tier: Type.Optional(TierSchema),
    model: Type.Optional(Type.String({ ...Name, description: 'Only deployments by this model' })),
    requiresChange: Type.Boolean({ description: 'Whether deployments need an authorized change' }),
    standardModels: Type.Optional(
      Type.Array(Type.String(Name), {
        maxItems: 500,
        uniqueItems: true,
        description: 'Models registered as standard changes: pre-authorized, no change request needed',
      }),
    ),
    allowEmergency: Type.Optional(
      Type.Boolean({
        description:
          'Whether an emergency change may go ahead before authorization (reviewed afterwards); default false',
      }),
    ),
    approvals: Type.Optional(ApprovalRuleSchema),
  },
  {
    additionalProperties: false,
    description: 'Names environment or tier (or neither, for the default policy), and optionally a model',
  },
);
/** The change policy of an environment or tier. */
export type ChangePolicy = Static<typeof ChangePolicySchema>;

function ruleProblems(policy: ChangePolicy, base: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (policy.environment !== undefined && policy.tier !== undefined) {
    problems.push({
      path: `${base}/tier`,
      message: 'cannot be given with environment; a policy names one or the other',
    });
  }
  const approvals = policy.approvals;
  if (
    approvals !== undefined &&
    approvals.principals !== undefined &&
    approvals.count > approvals.principals.length &&
    approvals.roles === undefined
  ) {
    problems.push({
      path: `${base}/approvals/count`,
      message: `asks for ${approvals.count} approvals but names only ${approvals.principals.length} people who may give them`,
    });
  }
  return problems;
}

/** Validates one change policy. */
export function validateChangePolicy(value: unknown): GovernanceValidation<ChangePolicy> {
  const problems = governanceSchemaProblems(ChangePolicySchema, value);
  if (problems.length > 0) return invalid('The change policy', problems);
  const policy = value as ChangePolicy;
  const rules = ruleProblems(policy, '');
  return rules.length > 0 ? invalid('The change policy', rules) : { valid: true, value: policy };
}

function selectorOf(policy: ChangePolicy): string {
  return [
    policy.environment === undefined ? '' : `environment ${policy.environment}`,
    policy.tier === undefined ? '' : `tier ${policy.tier}`,
    policy.model === undefined ? '' : `model ${policy.model}`,
  ]
    .filter((part) => part.length > 0)
    .join(', ');
}

/** Validates a set of policies: each one, and that no two govern the same environment or tier and model. */
export function validateChangePolicies(values: readonly unknown[]): GovernanceValidation<ChangePolicy[]> {
  const problems: FieldProblem[] = [];
  const policies: ChangePolicy[] = [];
  const seen = new Map<string, number>();
  for (const [index, value] of values.entries()) {
    const result = validateChangePolicy(value);
    if (!result.valid) {
      problems.push(...result.problems.map((problem) => ({ ...problem, path: `/${index}${problem.path}` })));
      continue;
    }
    const selector = selectorOf(result.value);
    const earlier = seen.get(selector);
    if (earlier !== undefined) {
      problems.push({
        path: `/${index}`,
        message: `governs the same ${selector === '' ? 'default' : selector} as policy ${earlier}`,
      });
    }
    seen.set(selector, index);
    policies.push(result.value);
  }
  return problems.length > 0 ? invalid('The change policies', problems) : { valid: true, value: policies };
}

/** Validates a change policy; throws an InputError listing every problem. */
export function parseChangePolicy(value: unknown): ChangePolicy {
  return valueOrThrow(validateChangePolicy(value));
}

/** The environment a deployment goes into, as policies see it. */
export interface PolicyEnvironment {
  name: string;
  tier: Tier;
  protected: boolean;
}

/**
 * The policy that governs a deployment: the most specific one that matches. From the most
 * specific: environment and model, environment, tier and model, tier, model, the default (a
 * policy naming neither). Undefined when none matches: then no change is needed.
 */
export function selectChangePolicy(
  policies: readonly ChangePolicy[],
  subject: { model: string; environment: PolicyEnvironment },
): ChangePolicy | undefined {
  let best: ChangePolicy | undefined;
  let bestScore = -1;
  for (const policy of policies) {
    if (policy.environment !== undefined && policy.environment !== subject.environment.name) continue;
    if (policy.tier !== undefined && policy.tier !== subject.environment.tier) continue;
    if (policy.model !== undefined && policy.model !== subject.model) continue;
    const score =
      (policy.environment === undefined ? 0 : 4) +
      (policy.tier === undefined ? 0 : 2) +
      (policy.model === undefined ? 0 : 1);
    if (score > bestScore) {
      best = policy;
      bestScore = score;
    }
  }
  return best;
}

/** What authorization decides about a deployment. */
export const AuthorizationOutcome = {
  /** The policy does not require a change. */
  notNeeded: 'not-needed',
  /** The deployment may go ahead. */
  authorized: 'authorized',
  /** The deployment waits: for a change to be linked, or for its change to be authorized. */
  awaiting: 'awaiting',
  /** The deployment may not go ahead: its change was rejected, cancelled or is closed. */
  refused: 'refused',
} as const;
/** What authorization decides. */
export type AuthorizationOutcome = (typeof AuthorizationOutcome)[keyof typeof AuthorizationOutcome];

/** Why an authorized deployment is authorized. */
export const AuthorizationBasis = {
  standardModel: 'standard-model',
  authorizedChange: 'authorized-change',
  emergency: 'emergency',
} as const;
/** Why an authorized deployment is authorized. */
export type AuthorizationBasis = (typeof AuthorizationBasis)[keyof typeof AuthorizationBasis];

/** What an awaiting deployment waits for. */
export const AuthorizationNeed = {
  /** No change is linked: one must be requested (or linked) and authorized. */
  change: 'change',
  /** The linked change must be authorized by a change authority or an external change system. */
  authorization: 'authorization',
} as const;
/** What an awaiting deployment waits for. */
export type AuthorizationNeed = (typeof AuthorizationNeed)[keyof typeof AuthorizationNeed];

/** The change a deployment belongs to, as authorization sees it. */
export interface LinkedChange {
  id: string;
  type: ChangeType;
  state: ChangeState;
  /** Whether it went ahead before authorization (see `transitionChange`). */
  retroactiveReview?: boolean;
}

/** A deployment as authorization sees it. */
export interface AuthorizationSubject {
  model: string;
  environment: PolicyEnvironment;
  change?: LinkedChange;
}

/** The authorization decision, with a reason a person can act on. */
export type AuthorizationDecision =
  | { outcome: 'not-needed'; reason: string }
  | {
      outcome: 'authorized';
      basis: AuthorizationBasis;
      /** The change must be reviewed after it is implemented (an emergency that went ahead unauthorized). */
      retroactiveReview: boolean;
      changeId?: string;
      reason: string;
    }
  | { outcome: 'awaiting'; needs: AuthorizationNeed; changeId?: string; reason: string }
  | { outcome: 'refused'; changeId: string; reason: string };

/**
 * Decides whether a deployment may go ahead as far as change enablement is concerned. Without
 * a policy, or when the policy requires no change, none is needed; a standard model is
 * pre-authorized; otherwise the linked change must be authorized, or be an emergency change
 * where the policy lets emergencies go ahead (then it is reviewed afterwards). A rejected,
 * cancelled or closed change refuses the deployment whatever the policy says.
 */
export function decideAuthorization(
  policy: ChangePolicy | undefined,
  subject: AuthorizationSubject,
): AuthorizationDecision {
  const { change, environment, model } = subject;
  if (
    change !== undefined &&
    (change.state === ChangeState.rejected || change.state === ChangeState.cancelled)
  ) {
    return {
      outcome: 'refused',
      changeId: change.id,
      reason: `Change ${change.id} was ${change.state}; this deployment may not go ahead under it. Request a new change.`,
    };
  }
  if (policy === undefined || !policy.requiresChange) {
    return { outcome: 'not-needed', reason: `Deployments into ${environment.name} need no change.` };
  }
  if (policy.standardModels?.includes(model) === true) {
    return {
      outcome: 'authorized',
      basis: 'standard-model',
      retroactiveReview: false,
      ...(change !== undefined && { changeId: change.id }),
      reason: `Model ${model} is a standard change in ${environment.name}: pre-authorized.`,
    };
  }
  if (change === undefined) {
    return {
      outcome: 'awaiting',
      needs: 'change',
      reason:
        `Deployments into ${environment.name} need an authorized change and none is linked. ` +
        `Request a normal change${policy.allowEmergency === true ? ' (or an emergency change)' : ''} for this deployment and have a change authority authorize it.`,
    };
  }
  if (change.state === ChangeState.closed) {
    return {
      outcome: 'refused',
      changeId: change.id,
      reason: `Change ${change.id} is closed; link this deployment to an open change.`,
    };
  }
  const emergency = change.type === ChangeType.emergency;
  const unauthorized = change.state === ChangeState.submitted || change.retroactiveReview === true;
  if (emergency && change.retroactiveReview === true && policy.allowEmergency !== true) {
    return {
      outcome: 'refused',
      changeId: change.id,
      reason:
        `Emergency change ${change.id} went ahead without authorization, which ${environment.name} does not allow. ` +
        'Request a normal change for this deployment.',
    };
  }
  if (emergency && unauthorized && policy.allowEmergency === true) {
    return {
      outcome: 'authorized',
      basis: 'emergency',
      retroactiveReview: true,
      changeId: change.id,
      reason: `Emergency change ${change.id} may go ahead before authorization in ${environment.name}; it will be reviewed afterwards.`,
    };
  }
  if (authorizingChangeStates.includes(change.state) && change.retroactiveReview !== true) {
    return {
      outcome: 'authorized',
      basis: 'authorized-change',
      retroactiveReview: false,
      changeId: change.id,
      reason: `Change ${change.id} is ${change.state}.`,
    };
  }
  return {
    outcome: 'awaiting',
    needs: 'authorization',
    changeId: change.id,
    reason: emergency
      ? `Emergency changes may not go ahead before authorization in ${environment.name}; a change authority must authorize change ${change.id}.`
      : `Change ${change.id} is ${change.state}; a change authority (or the external change system) must authorize it.`,
  };
}

/** How a person decided on an approval request. */
export const ApprovalDecision = { approved: 'approved', rejected: 'rejected' } as const;
/** How a person decided. */
export type ApprovalDecision = (typeof ApprovalDecision)[keyof typeof ApprovalDecision];

/** One recorded approval or rejection. */
export interface RecordedApproval {
  principalId: string;
  /** The roles the person held when deciding. */
  roles: readonly string[];
  /** Epoch milliseconds. */
  at: number;
  decision: ApprovalDecision;
  comment?: string;
}

/** Why a recorded decision did not count. */
export const IgnoredApprovalReason = {
  /** The requester's own approval, in a protected environment or where the rule forbids it. */
  requester: 'requester',
  /** Older than the rule's expiresAfterMinutes. */
  expired: 'expired',
  /** The person holds none of the rule's roles and is not among its principals. */
  notEligible: 'not-eligible',
  /** The same person decided again later; only their latest decision counts. */
  superseded: 'superseded',
} as const;
/** Why a recorded decision did not count. */
export type IgnoredApprovalReason = (typeof IgnoredApprovalReason)[keyof typeof IgnoredApprovalReason];

/** Where a deployment stands with its approvals. */
export interface ApprovalEvaluation {
  satisfied: boolean;
  /** How many distinct approvals the rule needs. */
  required: number;
  /** The approvals that count: one per person, their latest. */
  counted: RecordedApproval[];
  /** How many more approvals the count needs; a rejection blocks whatever this says. */
  missing: number;
  /** Eligible people whose latest decision is a rejection; any one of them blocks. */
  rejectedBy?: RecordedApproval[];
  /** Decisions that did not count, and why. */
  ignored: { approval: RecordedApproval; reason: IgnoredApprovalReason }[];
  /** When satisfied and approvals expire: when the counted approvals stop being enough. */
  validUntil?: number;
  /** A sentence a person can act on. */
  reason: string;
}

/** Whether a person may approve under a rule (the requester question aside). */
export function mayApprove(
  rule: ApprovalRule,
  principal: { principalId: string; roles: readonly string[] },
): boolean {
  if (rule.roles === undefined && rule.principals === undefined) return true;
  const byRole = rule.roles?.some((role) => principal.roles.includes(role)) === true;
  const byName = rule.principals?.includes(principal.principalId) === true;
  return byRole || byName;
}

function describeEligible(rule: ApprovalRule): string {
  const parts = [
    rule.roles === undefined ? '' : `a ${rule.roles.join(' or ')}`,
    rule.principals === undefined ? '' : rule.principals.join(', '),
  ].filter((part) => part.length > 0);
  return parts.length === 0 ? 'anyone' : parts.join(' or ');
}

/**
 * Evaluates the approvals of a deployment against a rule at `now`. One person counts once (their
 * latest decision); approvals older than the rule's expiry do not count; the requester never
 * counts in a protected environment, and elsewhere only when the rule allows it (the default);
 * a rejection by anyone who may approve blocks until they decide again. A rule of count 0 is
 * satisfied whatever was recorded.
 */
export function evaluateApprovals(
  rule: ApprovalRule,
  approvals: readonly RecordedApproval[],
  requester: string,
  now: number,
  protectedEnvironment: boolean,
): ApprovalEvaluation {
  const required = rule.count;
  const ignored: ApprovalEvaluation['ignored'] = [];
  const latest = new Map<string, RecordedApproval>();
  // Later in time wins; at the same instant, later in the list wins.
  const ordered = approvals
    .map((approval, index) => ({ approval, index }))
    .sort((first, second) => first.approval.at - second.approval.at || first.index - second.index);
  for (const { approval } of ordered) {
    const earlier = latest.get(approval.principalId);
    if (earlier !== undefined) ignored.push({ approval: earlier, reason: 'superseded' });
    latest.set(approval.principalId, approval);
  }
  const requesterCounts = !protectedEnvironment && rule.requesterMayApprove !== false;
  const expiry =
    rule.expiresAfterMinutes === undefined ? undefined : rule.expiresAfterMinutes * minuteMilliseconds;
  const counted: RecordedApproval[] = [];
  const rejectedBy: RecordedApproval[] = [];
  for (const approval of latest.values()) {
    if (!mayApprove(rule, approval)) {
      ignored.push({ approval, reason: 'not-eligible' });
    } else if (approval.decision === ApprovalDecision.rejected) {
      rejectedBy.push(approval);
    } else if (approval.principalId === requester && !requesterCounts) {
      ignored.push({ approval, reason: 'requester' });
    } else if (expiry !== undefined && now >= approval.at + expiry) {
      ignored.push({ approval, reason: 'expired' });
    } else {
      counted.push(approval);
    }
  }
  counted.sort((first, second) => first.at - second.at);

  if (required === 0) {
    return { satisfied: true, required, counted, missing: 0, ignored, reason: 'No approval is required.' };
  }
  const [rejection] = rejectedBy;
  if (rejection !== undefined) {
    return {
      satisfied: false,
      required,
      counted,
      missing: Math.max(0, required - counted.length),
      rejectedBy,
      ignored,
      reason: `Rejected by ${rejectedBy.map((approval) => approval.principalId).join(', ')}${
        rejection.comment === undefined ? '' : `: ${rejection.comment}`
      }.`,
    };
  }
  const missing = Math.max(0, required - counted.length);
  if (missing === 0) {
    let validUntil: number | undefined;
    if (expiry !== undefined) {
      // The approvals stop being enough when the (surplus + 1)-th oldest one expires.
      const expiries = counted
        .map((approval) => approval.at + expiry)
        .sort((first, second) => first - second);
      validUntil = expiries[counted.length - required];
    }
    return {
      satisfied: true,
      required,
      counted,
      missing: 0,
      ignored,
      ...(validUntil !== undefined && { validUntil }),
      reason: `Approved by ${counted.map((approval) => approval.principalId).join(', ')}.`,
    };
  }
  const notes: string[] = [];
  if (ignored.some((entry) => entry.reason === 'requester')) {
    notes.push(
      protectedEnvironment
        ? 'The requester’s own approval does not count in a protected environment.'
        : 'The requester’s own approval does not count under this rule.',
    );
  }
  const expired = ignored.filter((entry) => entry.reason === 'expired').length;
  if (expired > 0)
    notes.push(`${expired} approval${expired === 1 ? ' has' : 's have'} expired and must be given again.`);
  return {
    satisfied: false,
    required,
    counted,
    missing,
    ignored,
    reason:
      `${counted.length} of ${required} approval${required === 1 ? '' : 's'} given; ${missing} more needed from ${describeEligible(rule)}` +
      `${protectedEnvironment || rule.requesterMayApprove === false ? ' other than the requester' : ''}.` +
      (notes.length > 0 ? ` ${notes.join(' ')}` : ''),
  };
}
