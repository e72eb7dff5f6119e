import { type NotifyEvent, NotifyEventType } from '../../store/index.js';

/** An e-mail's subject with the same content as plain text and as HTML. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const deploymentVerbs: Record<string, string> = {
  [NotifyEventType.deploymentSucceeded]: 'deployed to',
  [NotifyEventType.deploymentFailed]: 'failed to deploy to',
  [NotifyEventType.deploymentRolledBack]: 'rolled back in',
  [NotifyEventType.deploymentRemoved]: 'removed from',
};

function summary(event: NotifyEvent): { headline: string; facts: Array<[string, string]> } {
  switch (event.type) {
    case NotifyEventType.deploymentSucceeded:
    case NotifyEventType.deploymentFailed:
    case NotifyEventType.deploymentRolledBack:
    case NotifyEventType.deploymentRemoved: {
      const data = event.data;
      const moved =
        data.release ?? data.versions.map((version) => `${version.component} ${version.version}`).join(', ');
      return {
        headline: `${moved} ${deploymentVerbs[event.type]} ${data.environment.name}`,
        facts: [
          ['Environment', `${data.environment.name} (${data.environment.tier})`],
          ['Stage', data.stage],
          ['Outcome', data.state],
          ...(data.reason === undefined ? [] : ([['Reason', data.reason]] as Array<[string, string]>)),
          ...data.versions.map((version): [string, string] => [
            version.component,
            version.previousVersion === undefined
              ? version.version
              : `${version.previousVersion} → ${version.version}`,
          ]),
          ['Finished', data.finishedAt],
          ['Deployment', data.deploymentId],
        ],
      };
    }
    case NotifyEventType.environmentCreated:
    case NotifyEventType.environmentModified:
    case NotifyEventType.environmentDeleted: {
      const environment = event.data.environment;
      const verb = event.type.slice('environment.'.length);
      return {
        headline: `Environment ${environment.name} ${verb}`,
        facts: [
          ['Tier', environment.tier],
          ['Purpose', environment.purpose],
          ['Protected', environment.protected ? 'yes' : 'no'],
          ...(event.data.changedFields === undefined
            ? []
            : ([['Changed', event.data.changedFields.join(', ')]] as Array<[string, string]>)),
          ['At', event.occurredAt],
        ],
      };
    }
    case NotifyEventType.incidentDetected:
    case NotifyEventType.incidentResolved: {
      const incident = event.data;
      const verb = event.type === NotifyEventType.incidentDetected ? 'detected' : 'resolved';
      return {
        headline: `Incident ${verb} in ${incident.environment.name}: ${incident.title}`,
        facts: [
          ['Severity', incident.severity],
          ...(incident.service === undefined
            ? []
            : ([['Service', incident.service.name]] as Array<[string, string]>)),
          ['Started', incident.startedAt],
          ...(incident.resolvedAt === undefined
            ? []
            : ([['Resolved', incident.resolvedAt]] as Array<[string, string]>)),
          ...(incident.url === undefined ? [] : ([['Details', incident.url]] as Array<[string, string]>)),
        ],
      };
    }
  }
}

/** Renders an event as an e-mail for the people subscribed to it. */
export function renderEventEmail(event: NotifyEvent): RenderedEmail {
  const { headline, facts } = summary(event);
  const text = [headline, '', ...facts.map(([label, value]) => `${label}: ${value}`), ''].join('\n');
  const rows = facts
    .map(
      ([label, value]) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`,
    )
    .join('');
  const html = `<!doctype html><html><body><h1>${escapeHtml(headline)}</h1><table>${rows}</table></body></html>`;
  return { subject: `[Slipway] ${headline}`, text, html };
}
