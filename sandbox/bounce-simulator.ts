/**
 * SES's mailbox simulator, for the sandbox. Wraps the sandbox Mailer: an email to
 * bounce@simulator.amazonses.com (or complaint@, or suppressionlist@; `+label` variants too) is
 * sent as usual (aws-ses-v2-local captures it), then, as SES does through a configuration set's
 * SNS event destination, a Bounce (Permanent) or Complaint event with the email's tags arrives
 * wrapped in an SNS envelope: `deliver` receives that SQS message body (the sandbox puts it on its
 * feedback queue). Delivery happens after `send` returns, like SES's; `settle()` waits for it.
 */
import { randomUUID } from 'node:crypto';
import { encodeTagValue, type SesFeedbackEvent, type SnsEnvelope } from '../shared/domain/notifications/bounces.js';
import type { Mailer, OutgoingEmail } from '../shared/domain/ports.js';
import type { Clock } from '../shared/domain/ports.js';
import { systemClock } from '../shared/app/ambient.js';
import { createLogger, type Logger } from '../shared/logger.js';

export const SIMULATOR_ADDRESSES = {
  bounce: 'bounce@simulator.amazonses.com',
  complaint: 'complaint@simulator.amazonses.com',
  suppressionlist: 'suppressionlist@simulator.amazonses.com',
} as const;

export type SimulatedOutcome = 'bounce' | 'complaint' | 'suppressionlist';

/** Which simulated feedback an address asks for, if any. */
export function simulatorOutcome(address: string): SimulatedOutcome | undefined {
  const match = /^(bounce|complaint|suppressionlist)(\+[^@]*)?@simulator\.amazonses\.com$/i.exec(address.trim());
  return match ? (match[1]!.toLowerCase() as SimulatedOutcome) : undefined;
}

export interface SimulatedEventOptions {
  fromEmailAddress: string;
  configurationSetName: string;
  accountId?: string;
  region?: string;
}

/** The SES event record SES would publish for this email (shape from SES's event publishing docs). */
export function simulatedFeedbackEvent(
  outcome: SimulatedOutcome,
  email: OutgoingEmail,
  messageId: string,
  at: Date,
  options: SimulatedEventOptions,
): SesFeedbackEvent {
  const accountId = options.accountId ?? '000000000000';
  const region = options.region ?? 'eu-west-1';
  const sentAt = at.toISOString();
  const feedbackAt = new Date(at.getTime() + 1).toISOString();
  const feedbackId = `${randomUUID()}-000000`;
  const fromDomain = options.fromEmailAddress.replace(/^.*@/, '').replace(/>.*$/, '');
  const mail = {
    timestamp: sentAt,
    source: options.fromEmailAddress,
    sourceArn: `arn:aws:ses:${region}:${accountId}:identity/${fromDomain}`,
    sendingAccountId: accountId,
    messageId,
    destination: [email.to],
    headersTruncated: false,
    headers: [
      { name: 'From', value: options.fromEmailAddress },
      { name: 'To', value: email.to },
      { name: 'Subject', value: email.subject },
      { name: 'MIME-Version', value: '1.0' },
    ],
    commonHeaders: { from: [options.fromEmailAddress], to: [email.to], messageId, subject: email.subject },
    tags: {
      'ses:configuration-set': [options.configurationSetName],
      'ses:source-ip': ['127.0.0.1'],
      'ses:from-domain': [fromDomain],
      'ses:caller-identity': ['sandbox'],
      ...Object.fromEntries(Object.entries(email.tags).map(([name, value]) => [name, [encodeTagValue(value)]])),
    },
  };
  if (outcome === 'complaint') {
    return {
      eventType: 'Complaint',
      complaint: {
        complainedRecipients: [{ emailAddress: email.to }],
        timestamp: feedbackAt,
        feedbackId,
        userAgent: 'Amazon SES Mailbox Simulator',
        complaintFeedbackType: 'abuse',
        arrivalDate: feedbackAt,
      },
      mail,
    };
  }
  return {
    eventType: 'Bounce',
    bounce: {
      bounceType: 'Permanent',
      bounceSubType: outcome === 'suppressionlist' ? 'OnAccountSuppressionList' : 'General',
      bouncedRecipients: [
        outcome === 'suppressionlist'
          ? { emailAddress: email.to, action: 'failed', diagnosticCode: 'Amazon SES did not send the message to this address because it is on the suppression list for your account.' }
          : { emailAddress: email.to, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' },
      ],
      timestamp: feedbackAt,
      feedbackId,
      reportingMTA: 'dns; amazonses.com',
    },
    mail,
  };
}

/** The SNS envelope around an SES event, as an SQS subscription without raw delivery receives it. */
export function snsEnvelope(event: SesFeedbackEvent, topicArn: string, at: Date): SnsEnvelope {
  return {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Message: JSON.stringify(event),
    Timestamp: at.toISOString(),
    SignatureVersion: '1',
    Signature: 'SANDBOX',
    SigningCertURL: 'https://sns.sandbox.invalid/SimpleNotificationService.pem',
    UnsubscribeURL: 'https://sns.sandbox.invalid/?Action=Unsubscribe',
  };
}

export interface BounceSimulatorOptions {
  /** The Mailer that really sends (SesMailer on aws-ses-v2-local). */
  mailer: Mailer;
  /** Receives the SQS message body (SNS envelope JSON) of each simulated bounce or complaint. */
  deliver: (body: string) => Promise<void>;
  fromEmailAddress: string;
  configurationSetName?: string;
  topicArn?: string;
  clock?: Clock;
  /** Delay before the event is delivered. Default 0 (still after send returns). */
  delayMs?: number;
  logger?: Logger;
}

export class BounceSimulatingMailer implements Mailer {
  private readonly pending = new Set<Promise<void>>();
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(private readonly options: BounceSimulatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger({ level: 'warn' });
  }

  async send(email: OutgoingEmail): Promise<{ message_id: string }> {
    const sent = await this.options.mailer.send(email);
    const outcome = simulatorOutcome(email.to);
    if (outcome) {
      const at = this.clock.now();
      const event = simulatedFeedbackEvent(outcome, email, sent.message_id, at, {
        fromEmailAddress: this.options.fromEmailAddress,
        configurationSetName: this.options.configurationSetName ?? 'paylink-sandbox',
      });
      const body = JSON.stringify(snsEnvelope(event, this.options.topicArn ?? 'arn:aws:sns:eu-west-1:000000000000:paylink-ses-feedback', at));
      const delivery: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, this.options.delayMs ?? 0))
        .then(() => this.options.deliver(body))
        .catch((error: unknown) => this.logger.error('bounce simulator: delivering the feedback event failed', { error, outcome }))
        .finally(() => this.pending.delete(delivery));
      this.pending.add(delivery);
    }
    return sent;
  }

  /** Resolves once every simulated event so far has been handed to `deliver`. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
