import type { FormatContext, WebhookFormat } from './format.js';

/** Plain JSON: the event as Slipway records it, with the source that sent it. */
export const plainFormat: WebhookFormat = {
  name: 'plain',
  description: 'The Slipway event as JSON: id, type, occurredAt, source and data.',
  format(event, context: FormatContext) {
    const body = {
      id: event.id,
      type: event.type,
      occurredAt: event.occurredAt,
      source: context.source,
      data: event.data,
    };
    return [{ contentType: 'application/json', body: JSON.stringify(body) }];
  },
};
