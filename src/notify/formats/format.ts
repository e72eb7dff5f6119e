import type { NotifyEvent } from '../../store/index.js';

/** What a format needs to know about the Slipway that sends the event. */
export interface FormatContext {
  /**
   * A URI-reference naming this Slipway as the producer of events (CloudEvents `source`),
   * such as its public URL. Default `/slipway`.
   */
  source: string;
}

/** One body to send, with its media type. */
export interface FormattedPayload {
  contentType: string;
  body: string;
}

/** An outbound webhook payload format: turns an event into the bodies to send. */
export interface WebhookFormat {
  /** The name subscriptions choose the format by. */
  readonly name: string;
  /** One sentence for people choosing a format. */
  readonly description: string;
  /**
   * The bodies to send for an event: usually one, several when the format describes one
   * thing per message (CDEvents: one per component), none when it cannot express the event.
   */
  format(event: NotifyEvent, context: FormatContext): FormattedPayload[];
}

/** The context used when a caller names no source. */
export const defaultFormatContext: FormatContext = { source: '/slipway' };
