import { InputError } from '../../domain/index.js';
import { cdeventsFormat } from './cdevents.js';
import type { WebhookFormat } from './format.js';
import { plainFormat } from './plain.js';

export {
  type CdEvent,
  CdEventType,
  type CloudEvent,
  cdeventsFormat,
  cdeventsSpecVersion,
  cloudEventsContentType,
  componentPurl,
  toCdEvents,
  toCloudEvent,
} from './cdevents.js';
export { type RenderedEmail, renderEventEmail } from './email.js';
export {
  defaultFormatContext,
  type FormatContext,
  type FormattedPayload,
  type WebhookFormat,
} from './format.js';
export { plainFormat } from './plain.js';

/** The outbound webhook payload formats, by the name subscriptions choose them by. */
export const webhookFormats = {
  plain: plainFormat,
  cdevents: cdeventsFormat,
} as const satisfies Record<string, WebhookFormat>;

/** The name of a payload format. */
export type WebhookFormatName = keyof typeof webhookFormats;

/** Every format name, for schemas and validation. */
export const webhookFormatNames = Object.keys(webhookFormats) as WebhookFormatName[];

/** Whether a name is a known format. */
export function isWebhookFormatName(name: string): name is WebhookFormatName {
  return Object.hasOwn(webhookFormats, name);
}

/** The format of a name, or a validation error that lists the known ones. */
export function webhookFormat(name: string): WebhookFormat {
  if (!isWebhookFormatName(name)) {
    throw new InputError(`Unknown webhook format "${name}"; use one of ${webhookFormatNames.join(', ')}.`, [
      { path: '/format', message: `must be one of ${webhookFormatNames.join(', ')}` },
    ]);
  }
  return webhookFormats[name];
}
