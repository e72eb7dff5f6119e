import { InputError, type Principal } from '../domain/index.js';
import {
  type CorrelationCandidate,
  type Incident,
  type IncidentChanges,
  type IncidentLink,
  IncidentLinkState,
  type IncidentSeverity,
  type NewIncidentLink,
  type Store,
} from '../store/index.js';

/**
 * An incident as the API and incident tools report it: a small generic JSON shape any tool
 * can be mapped to. `source` + `externalId` name it in the reporting tool; reporting the
 * same pair again updates the incident (a tool's "resolved" call, say) instead of adding one.
 */
export interface IncidentReport {
  /** The service disrupted, by id or name. */
  service: string;
  /** The environment it happened in, by id or name. */
  environment: string;
  severity: IncidentSeverity;
  title: string;
  description?: string;
  /** When the disruption started (ISO-8601); correlation looks back from here. */
  startedAt: string;
  resolvedAt?: string;
  /** The reporting tool (default `api`). */
  source?: string;
  externalId?: string;
}

/** An incident with the deployments linked to it. */
export interface IncidentWithLinks {
  incident: Incident;
  links: IncidentLink[];
  /** False when the report updated an incident the tool had reported before. */
  created: boolean;
}

/** How incidents are correlated; every option has a default. */
export interface IncidentOptions {
  /** How far before an incident's start a finished deployment is still suspected (default 24 h). */
  correlationWindowMilliseconds?: number;
}

const defaultWindowMilliseconds = 24 * 60 * 60 * 1000;

/** A span of time in words: "35 min", "2 h 5 min", "3 days". */
export function describeDuration(milliseconds: number): string {
  const minutes = Math.max(0, Math.round(milliseconds / 60_000));
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) {
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
  }
  return `${Math.round(minutes / (24 * 60))} days`;
}

/**
 * The links correlation suggests for an incident that started at `startedAt`, newest
 * deployment first. A deployment still running when the incident started scores 100; one
 * that had finished scores less the longer before the start it finished, down to 1 at the
 * edge of the window. Candidates outside the window are left out.
 */
export function correlationLinks(
  candidates: readonly CorrelationCandidate[],
  startedAt: string,
  windowMilliseconds: number,
): NewIncidentLink[] {
  const start = Date.parse(startedAt);
  const scored = candidates.flatMap((candidate) => {
    const requested = Date.parse(candidate.requestedAt);
    const finished = candidate.finishedAt === undefined ? undefined : Date.parse(candidate.finishedAt);
    if (requested > start) return [];
    const what = candidate.versions.map((version) => `${version.component} ${version.version}`).join(', ');
    if (finished === undefined || finished >= start) {
      return [
        {
          at: start,
          link: {
            deploymentId: candidate.deploymentId,
            score: 100,
            reason: `${what} was being deployed to ${candidate.environment} when the incident started (requested ${describeDuration(start - requested)} before; now ${candidate.state}).`,
          },
        },
      ];
    }
    const gap = start - finished;
    if (gap > windowMilliseconds) return [];
    return [
      {
        at: finished,
        link: {
          deploymentId: candidate.deploymentId,
          score: Math.max(1, Math.round(100 * (1 - gap / windowMilliseconds))),
          reason: `${what} ${candidate.state} in ${candidate.environment} ${describeDuration(gap)} before the incident started.`,
        },
      },
    ];
  });
  return scored.sort((left, right) => right.at - left.at).map((entry) => entry.link);
}

function isoTime(text: string, path: string): string {
  const time = Date.parse(text);
  if (Number.isNaN(time))
    throw new InputError(`${text} is not a time.`, [{ path, message: 'must be an ISO-8601 time' }]);
  return new Date(time).toISOString();
}

/**
 * Incidents: registered by people over the API or by incident tools, correlated at once with
 * the deployments into the same service and environment shortly before they started; a
 * person then confirms or rejects each suggested link.
 */
export class IncidentCommands {
  private readonly windowMilliseconds: number;

  constructor(
    private readonly store: Store,
    options: IncidentOptions = {},
  ) {
    this.windowMilliseconds = options.correlationWindowMilliseconds ?? defaultWindowMilliseconds;
  }

  private async correlate(
    serviceId: string,
    environmentId: string,
    startedAt: string,
  ): Promise<NewIncidentLink[]> {
    const from = new Date(Date.parse(startedAt) - this.windowMilliseconds).toISOString();
    const candidates = await this.store.incidents.correlationCandidates(
      serviceId,
      environmentId,
      from,
      startedAt,
    );
    return correlationLinks(candidates, startedAt, this.windowMilliseconds);
  }

  /**
   * Registers an incident and links the deployments correlation suspects. A report that
   * names an incident the same tool reported before updates it (and links deployments a
   * changed start time brings into the window).
   */
  async register(report: IncidentReport, actor: Principal): Promise<IncidentWithLinks> {
    const startedAt = isoTime(report.startedAt, '/body/startedAt');
    const resolvedAt =
      report.resolvedAt === undefined ? undefined : isoTime(report.resolvedAt, '/body/resolvedAt');
    if (resolvedAt !== undefined && resolvedAt < startedAt)
      throw new InputError('An incident cannot be resolved before it started.', [
        { path: '/body/resolvedAt', message: 'must not be before startedAt' },
      ]);
    const source = report.source ?? 'api';
    if (report.externalId !== undefined) {
      const existing = await this.store.incidents.findExternal(source, report.externalId);
      if (existing !== undefined) {
        const changes: IncidentChanges = {
          severity: report.severity,
          title: report.title,
          ...(report.description !== undefined && { description: report.description }),
          startedAt,
          ...(resolvedAt !== undefined && { resolvedAt }),
        };
        return { ...(await this.change(existing, changes, actor)), created: false };
      }
    }
    const { serviceId, environmentId } = await this.store.incidents.scopeOf(
      report.service,
      report.environment,
    );
    const links = await this.correlate(serviceId, environmentId, startedAt);
    const incident = await this.store.incidents.create(
      {
        service: serviceId,
        environment: environmentId,
        severity: report.severity,
        title: report.title,
        ...(report.description !== undefined && { description: report.description }),
        startedAt,
        ...(resolvedAt !== undefined && { resolvedAt }),
        source,
        ...(report.externalId !== undefined && { externalId: report.externalId }),
      },
      links,
      actor.id,
    );
    return { incident, links: await this.store.incidents.links(incident.id), created: true };
  }

  private async change(
    incident: Incident,
    changes: IncidentChanges,
    actor: Principal,
  ): Promise<Omit<IncidentWithLinks, 'created'>> {
    const startedAt = changes.startedAt ?? incident.startedAt;
    const resolvedAt = changes.resolvedAt ?? incident.resolvedAt;
    if (resolvedAt !== undefined && resolvedAt < startedAt)
      throw new InputError('An incident cannot be resolved before it started.', [
        { path: '/body/resolvedAt', message: 'must not be before startedAt' },
      ]);
    const links =
      changes.startedAt !== undefined && changes.startedAt !== incident.startedAt
        ? await this.correlate(incident.serviceId, incident.environmentId, startedAt)
        : [];
    const updated = await this.store.incidents.update(incident.id, changes, links, actor.id);
    return { incident: updated, links: await this.store.incidents.links(updated.id) };
  }

  /** Changes an incident's fields; a new start time is correlated again. */
  async update(
    id: string,
    changes: IncidentChanges,
    actor: Principal,
  ): Promise<Omit<IncidentWithLinks, 'created'>> {
    const incident = await this.store.incidents.get(id);
    return this.change(
      incident,
      {
        ...changes,
        ...(changes.startedAt !== undefined && { startedAt: isoTime(changes.startedAt, '/body/startedAt') }),
        ...(changes.resolvedAt !== undefined && {
          resolvedAt: isoTime(changes.resolvedAt, '/body/resolvedAt'),
        }),
      },
      actor,
    );
  }

  /** Resolves an incident (now, or at the time given); resolving twice keeps the first time. */
  async resolve(id: string, actor: Principal, resolvedAt?: string): Promise<Incident> {
    const incident = await this.store.incidents.get(id);
    if (incident.resolvedAt !== undefined) return incident;
    const at =
      resolvedAt === undefined ? this.store.now().toISOString() : isoTime(resolvedAt, '/body/resolvedAt');
    return (await this.change(incident, { resolvedAt: at }, actor)).incident;
  }

  /** Confirms that a linked deployment probably caused the incident, recorded with who and when. */
  async confirmLink(
    incidentId: string,
    deploymentId: string,
    actor: Principal,
    comment?: string,
  ): Promise<IncidentLink> {
    return this.store.incidents.decideLink(
      incidentId,
      deploymentId,
      IncidentLinkState.confirmed,
      actor.id,
      comment,
    );
  }

  /** Rules a linked deployment out, recorded with who and when. */
  async rejectLink(
    incidentId: string,
    deploymentId: string,
    actor: Principal,
    comment?: string,
  ): Promise<IncidentLink> {
    return this.store.incidents.decideLink(
      incidentId,
      deploymentId,
      IncidentLinkState.rejected,
      actor.id,
      comment,
    );
  }

  /** Deletes an incident registered by mistake. */
  async delete(id: string, actor: Principal): Promise<void> {
    await this.store.incidents.delete(id, actor.id);
  }
}
