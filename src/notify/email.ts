import { createTransport, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { InputError } from '../domain/index.js';

/** How to reach the SMTP server that sends Slipway's e-mail. */
export interface SmtpOptions {
  /** The server's host name or address. */
  host: string;
  /** The server's port: usually 587 (STARTTLS) or 465 (TLS from the start). */
  port: number;
  /** TLS from the first byte (port 465). When false, STARTTLS is used if the server offers it. */
  secure: boolean;
  /** Refuse to send unless STARTTLS succeeds (default false). Ignored when `secure`. */
  requireTls?: boolean;
  /** User name for SMTP authentication (none: no authentication). */
  user?: string;
  /** Password for SMTP authentication. */
  password?: string;
  /** The sender address, as `Slipway <slipway@example.com>` or a bare address. */
  from: string;
  /** Time allowed to connect, to be greeted, and between two replies (default 10 s). */
  timeoutMilliseconds?: number;
}

/** One message to send: plain text and HTML of the same content. */
export interface EmailMessage {
  to: readonly string[];
  cc?: readonly string[];
  replyTo?: string;
  subject: string;
  text: string;
  html: string;
}

/** What the server said about a message. */
export interface SentEmail {
  messageId: string;
  accepted: string[];
  rejected: string[];
}

/** The environment variables `smtpOptionsFromEnvironment` reads. */
export const SmtpEnvironment = {
  host: 'SLIPWAY_SMTP_HOST',
  port: 'SLIPWAY_SMTP_PORT',
  secure: 'SLIPWAY_SMTP_SECURE',
  requireTls: 'SLIPWAY_SMTP_REQUIRE_TLS',
  user: 'SLIPWAY_SMTP_USER',
  password: 'SLIPWAY_SMTP_PASSWORD',
  from: 'SLIPWAY_SMTP_FROM',
} as const;

function flag(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (['1', 'true', 'yes', 'on'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(value.toLowerCase())) return false;
  throw new InputError(`${name} must be true or false, not "${value}".`, [
    { path: name, message: 'must be true or false' },
  ]);
}

/**
 * SMTP options from `SLIPWAY_SMTP_*` variables, or undefined when `SLIPWAY_SMTP_HOST` is not
 * set (e-mail is off). The port defaults to 465 when SECURE is true and 587 otherwise; FROM
 * defaults to `slipway@<host>`.
 */
export function smtpOptionsFromEnvironment(
  environment: NodeJS.ProcessEnv = process.env,
): SmtpOptions | undefined {
  const host = environment[SmtpEnvironment.host];
  if (host === undefined || host === '') return undefined;
  const secure = flag(environment[SmtpEnvironment.secure], SmtpEnvironment.secure) ?? false;
  const requireTls = flag(environment[SmtpEnvironment.requireTls], SmtpEnvironment.requireTls);
  const portText = environment[SmtpEnvironment.port];
  const port = portText === undefined || portText === '' ? (secure ? 465 : 587) : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InputError(`${SmtpEnvironment.port} must be a port number, not "${portText}".`, [
      { path: SmtpEnvironment.port, message: 'must be an integer from 1 to 65535' },
    ]);
  }
  const user = environment[SmtpEnvironment.user];
  const password = environment[SmtpEnvironment.password];
  return {
    host,
    port,
    secure,
    ...(requireTls !== undefined && { requireTls }),
    ...(user !== undefined && user !== '' && { user }),
    ...(password !== undefined && password !== '' && { password }),
    from: environment[SmtpEnvironment.from] || `slipway@${host}`,
  };
}

function addresses(list: ReadonlyArray<string | { address?: string | undefined }>): string[] {
  return list.map((entry) => (typeof entry === 'string' ? entry : (entry.address ?? '')));
}

/** Sends e-mail through one SMTP server; one pooled-free transport per Emailer. */
export class Emailer {
  private readonly transport: Transporter<SMTPTransport.SentMessageInfo, SMTPTransport.Options>;

  constructor(readonly options: SmtpOptions) {
    const timeout = options.timeoutMilliseconds ?? 10_000;
    this.transport = createTransport({
      host: options.host,
      port: options.port,
      secure: options.secure,
      ...(options.requireTls !== undefined && { requireTLS: options.requireTls }),
      ...(options.user !== undefined && { auth: { user: options.user, pass: options.password ?? '' } }),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
  }

  /** Sends one message; rejects when the server refuses it or cannot be reached. */
  async send(message: EmailMessage): Promise<SentEmail> {
    const info = await this.transport.sendMail({
      from: this.options.from,
      to: [...message.to],
      ...(message.cc !== undefined && message.cc.length > 0 && { cc: [...message.cc] }),
      ...(message.replyTo !== undefined && { replyTo: message.replyTo }),
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
    return {
      messageId: info.messageId,
      accepted: addresses(info.accepted),
      rejected: addresses(info.rejected),
    };
  }

  /** Connects and authenticates without sending, to check the settings at start-up. */
  async verify(): Promise<void> {
    await this.transport.verify();
  }

  /** Closes the transport's connections. */
  close(): void {
    this.transport.close();
  }
}
