import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedDeploymentEvent } from '../../test/support/notify-events.js';
import { Emailer, type SmtpOptions, smtpOptionsFromEnvironment } from './email.js';
import { renderEventEmail } from './formats/email.js';

/** Decodes quoted-printable text (RFC 2045), as nodemailer encodes long HTML lines. */
function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** A message the catcher received. */
interface Caught {
  from: string | undefined;
  to: string[];
  user: string | undefined;
  raw: string;
}

describe('e-mail over SMTP', () => {
  const caught: Caught[] = [];
  let server: SMTPServer;
  let port: number;

  beforeAll(async () => {
    server = new SMTPServer({
      // A local catcher: no TLS certificate to trust, plain-text AUTH allowed on loopback.
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authOptional: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'slipway' && auth.password === 'mail-password') {
          callback(null, { user: auth.username });
        } else {
          callback(new Error('Invalid username or password'));
        }
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const from = session.envelope.mailFrom;
          caught.push({
            from: from === false ? undefined : from.address,
            to: session.envelope.rcptTo.map((recipient) => recipient.address),
            user: typeof session.user === 'string' ? session.user : undefined,
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const options = (extra: Partial<SmtpOptions> = {}): SmtpOptions => ({
    host: '127.0.0.1',
    port,
    secure: false,
    user: 'slipway',
    password: 'mail-password',
    from: 'Slipway <slipway@example.com>',
    timeoutMilliseconds: 5_000,
    ...extra,
  });

  it('sends a text and HTML message that arrives with its subject, recipients and body', async () => {
    const emailer = new Emailer(options());
    const mail = renderEventEmail(storedDeploymentEvent('deployment.succeeded'));
    const sent = await emailer.send({
      to: ['owner@example.com', 'desk@example.com'],
      cc: ['audit@example.com'],
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
    });
    emailer.close();
    expect(sent.accepted.sort()).toEqual(['audit@example.com', 'desk@example.com', 'owner@example.com']);
    expect(sent.rejected).toEqual([]);
    expect(sent.messageId).toMatch(/^<.+@.+>$/);

    const message = caught.at(-1);
    expect(message?.from).toBe('slipway@example.com');
    expect(message?.user).toBe('slipway');
    expect(message?.to.sort()).toEqual(['audit@example.com', 'desk@example.com', 'owner@example.com']);
    const raw = message?.raw ?? '';
    expect(raw).toContain('Subject: [Slipway] shop-web 1.2.0 deployed to production');
    expect(raw).toContain('To: owner@example.com, desk@example.com');
    expect(raw).toContain('Cc: audit@example.com');
    expect(raw).toContain('From: Slipway <slipway@example.com>');
    expect(raw).toContain('Content-Type: multipart/alternative');
    expect(raw).toContain('Content-Type: text/plain');
    expect(raw).toContain('Content-Type: text/html');
    expect(raw).toContain('Environment: production (live)');
    const htmlPart = raw.slice(raw.indexOf('Content-Type: text/html'));
    expect(decodeQuotedPrintable(htmlPart)).toContain('<h1>shop-web 1.2.0 deployed to production</h1>');
  });

  it('fails to send with a wrong password', async () => {
    const emailer = new Emailer(options({ password: 'wrong' }));
    const before = caught.length;
    await expect(
      emailer.send({ to: ['owner@example.com'], subject: 'no', text: 'no', html: '<p>no</p>' }),
    ).rejects.toThrow(/Invalid username or password|Invalid login/);
    emailer.close();
    expect(caught).toHaveLength(before);
  });

  it('refuses to send in clear text when TLS is required', async () => {
    const emailer = new Emailer(options({ requireTls: true }));
    await expect(
      emailer.send({ to: ['owner@example.com'], subject: 'no', text: 'no', html: '<p>no</p>' }),
    ).rejects.toThrow(/STARTTLS/);
    emailer.close();
  });

  it('checks its settings without sending', async () => {
    const emailer = new Emailer(options());
    await expect(emailer.verify()).resolves.toBeUndefined();
    emailer.close();
  });
});

describe('SMTP settings from the environment', () => {
  it('are off without a host', () => {
    expect(smtpOptionsFromEnvironment({})).toBeUndefined();
  });

  it('read every SLIPWAY_SMTP_* variable, with defaults for the port and the sender', () => {
    expect(
      smtpOptionsFromEnvironment({
        SLIPWAY_SMTP_HOST: 'mail.example.com',
        SLIPWAY_SMTP_SECURE: 'true',
        SLIPWAY_SMTP_USER: 'slipway',
        SLIPWAY_SMTP_PASSWORD: 'pw',
      }),
    ).toEqual({
      host: 'mail.example.com',
      port: 465,
      secure: true,
      user: 'slipway',
      password: 'pw',
      from: 'slipway@mail.example.com',
    });
    expect(
      smtpOptionsFromEnvironment({
        SLIPWAY_SMTP_HOST: 'mail.example.com',
        SLIPWAY_SMTP_PORT: '2525',
        SLIPWAY_SMTP_REQUIRE_TLS: 'yes',
        SLIPWAY_SMTP_FROM: 'Deployments <deploy@example.com>',
      }),
    ).toEqual({
      host: 'mail.example.com',
      port: 2525,
      secure: false,
      requireTls: true,
      from: 'Deployments <deploy@example.com>',
    });
  });

  it('refuse a port or a flag they cannot read', () => {
    expect(() => smtpOptionsFromEnvironment({ SLIPWAY_SMTP_HOST: 'h', SLIPWAY_SMTP_PORT: 'smtp' })).toThrow(
      /SLIPWAY_SMTP_PORT/,
    );
    expect(() =>
      smtpOptionsFromEnvironment({ SLIPWAY_SMTP_HOST: 'h', SLIPWAY_SMTP_SECURE: 'maybe' }),
    ).toThrow(/SLIPWAY_SMTP_SECURE/);
  });
});
