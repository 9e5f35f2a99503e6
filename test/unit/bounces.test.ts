import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/ses-feedback-handler/handler.js';
import { InvalidFeedbackError, applySesFeedback, decodeTagValue, encodeTagValue, parseSesFeedback } from '../../shared/domain/notifications/bounces.js';
import type { SuppressionList } from '../../shared/domain/ports.js';
import { createLogger } from '../../shared/logger.js';
import { lambdaContext } from '../../sandbox/lambda-context.js';
import { FixedClock } from '../support/fakes.js';

// SES event records as SES publishes them to SNS through a configuration set (shapes from
// "Examples of event data that Amazon SES publishes to Amazon SNS"), with our message tags.
const mail = {
  timestamp: '2017-08-05T00:40:02.012Z',
  source: 'Paylink <links@pay.example.com>',
  sourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/pay.example.com',
  sendingAccountId: '123456789012',
  messageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
  destination: ['recipient@example.com'],
  headersTruncated: false,
  headers: [
    { name: 'From', value: 'Paylink <links@pay.example.com>' },
    { name: 'To', value: 'recipient@example.com' },
    { name: 'Subject', value: 'Demo Shop has sent you a payment link' },
    { name: 'MIME-Version', value: '1.0' },
  ],
  commonHeaders: {
    from: ['Paylink <links@pay.example.com>'],
    to: ['recipient@example.com'],
    messageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
    subject: 'Demo Shop has sent you a payment link',
  },
  tags: {
    'ses:configuration-set': ['paylink-feedback'],
    'ses:source-ip': ['192.0.2.0'],
    'ses:from-domain': ['pay.example.com'],
    'ses:caller-identity': ['paylink-notifier'],
    entity_id: ['demo-entity'],
    payment_link_id: ['5f0c6a5e-2a7b-4d8e-9c1f-0a1b2c3d4e5f'],
    notification_id: [encodeTagValue('5f0c6a5e-2a7b-4d8e-9c1f-0a1b2c3d4e5f:EMAIL:INITIAL')],
  },
};

const permanentBounce = {
  eventType: 'Bounce',
  bounce: {
    bounceType: 'Permanent',
    bounceSubType: 'General',
    bouncedRecipients: [
      { emailAddress: 'Recipient@Example.com', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' },
    ],
    timestamp: '2017-08-05T00:41:02.669Z',
    feedbackId: '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000',
    reportingMTA: 'dsn; mta.example.com',
  },
  mail,
};

const transientBounce = {
  eventType: 'Bounce',
  bounce: {
    bounceType: 'Transient',
    bounceSubType: 'MailboxFull',
    bouncedRecipients: [{ emailAddress: 'recipient@example.com', action: 'failed', status: '4.2.2', diagnosticCode: 'smtp; 452 4.2.2 mailbox full' }],
    timestamp: '2017-08-05T00:41:02.669Z',
    feedbackId: '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000001',
  },
  mail,
};

const complaint = {
  eventType: 'Complaint',
  complaint: {
    complainedRecipients: [{ emailAddress: 'recipient@example.com' }],
    timestamp: '2017-08-05T00:41:02.669Z',
    feedbackId: '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000002',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.90 Safari/537.36',
    complaintFeedbackType: 'abuse',
    arrivalDate: '2017-08-05T00:41:02.669Z',
  },
  mail,
};

/** What SQS receives from an SNS subscription without raw message delivery. */
function snsBody(message: unknown): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: 'c6e1b0a7-2bcd-5d2b-9f1a-3a6cf0e1d3b1',
    TopicArn: 'arn:aws:sns:eu-west-1:123456789012:paylink-ses-feedback',
    Message: JSON.stringify(message),
    Timestamp: '2017-08-05T00:41:03.000Z',
    SignatureVersion: '1',
    Signature: 'EXAMPLEpH+..',
    SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
    UnsubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:eu-west-1:123456789012:paylink-ses-feedback:0',
  });
}

class MemorySuppressions implements SuppressionList {
  readonly entries: { entityId: string; address: string; reason: string; at: string }[] = [];
  async isSuppressed(entityId: string, address: string) {
    return this.entries.some((e) => e.entityId === entityId && e.address.toLowerCase() === address.toLowerCase());
  }
  async suppress(entityId: string, address: string, reason: string, at: Date) {
    this.entries.push({ entityId, address, reason, at: at.toISOString() });
  }
}

describe('parseSesFeedback', () => {
  it('suppresses the recipients of a permanent bounce for the entity in the email’s tags', () => {
    const decision = parseSesFeedback(snsBody(permanentBounce));
    expect(decision).toMatchObject({
      type: 'Bounce',
      entity_id: 'demo-entity',
      payment_link_id: '5f0c6a5e-2a7b-4d8e-9c1f-0a1b2c3d4e5f',
      notification_id: '5f0c6a5e-2a7b-4d8e-9c1f-0a1b2c3d4e5f:EMAIL:INITIAL',
      message_id: mail.messageId,
      suppress: [{ address: 'Recipient@Example.com', reason: 'bounce/Permanent/General' }],
    });
    expect(decision.at?.toISOString()).toBe('2017-08-05T00:41:02.669Z');
    expect(decision.ignored).toBeUndefined();
  });

  it('suppresses the complained recipients of a complaint', () => {
    expect(parseSesFeedback(snsBody(complaint))).toMatchObject({
      type: 'Complaint',
      entity_id: 'demo-entity',
      suppress: [{ address: 'recipient@example.com', reason: 'complaint/abuse' }],
    });
  });

  it('does not suppress on a transient bounce', () => {
    expect(parseSesFeedback(snsBody(transientBounce))).toMatchObject({ type: 'Bounce', suppress: [], ignored: 'transient_bounce' });
  });

  it('reads the older notification format (notificationType), which has no tags and so no entity', () => {
    const { tags: _tags, ...untagged } = mail;
    const decision = parseSesFeedback(snsBody({ ...permanentBounce, eventType: undefined, notificationType: 'Bounce', mail: untagged }));
    expect(decision).toMatchObject({ type: 'Bounce', suppress: [], ignored: 'no_entity_tag' });
    // With tags (it would have them through a configuration set), the same record suppresses.
    const { eventType: _e, ...rest } = permanentBounce;
    expect(parseSesFeedback(snsBody({ ...rest, notificationType: 'Bounce' })).suppress).toHaveLength(1);
  });

  it('accepts raw message delivery (the SES event without the SNS envelope)', () => {
    expect(parseSesFeedback(JSON.stringify(complaint)).suppress).toEqual([{ address: 'recipient@example.com', reason: 'complaint/abuse' }]);
  });

  it('dedupes recipients, reads "Name <address>" forms and skips what is not an address', () => {
    const bounce = {
      ...permanentBounce,
      bounce: {
        ...permanentBounce.bounce,
        bouncedRecipients: [{ emailAddress: 'a@example.com' }, { emailAddress: '"A" <A@example.com>' }, { emailAddress: 'b@example.com' }, { emailAddress: 'nobody' }],
      },
    };
    expect(parseSesFeedback(snsBody(bounce)).suppress.map((s) => s.address)).toEqual(['a@example.com', 'b@example.com']);
  });

  it('ignores other event types', () => {
    expect(parseSesFeedback(snsBody({ eventType: 'Delivery', mail, delivery: { recipients: ['recipient@example.com'] } }))).toMatchObject({
      type: 'Delivery',
      suppress: [],
      ignored: 'not_feedback',
    });
  });

  it('rejects what is not an SES event', () => {
    for (const body of ['not json', JSON.stringify({ hello: 'world' }), snsBody('not json either'), JSON.stringify({ Type: 'SubscriptionConfirmation', Message: 'x' }), snsBody({ eventType: 'Bounce', mail })]) {
      expect(() => parseSesFeedback(body), body).toThrow(InvalidFeedbackError);
    }
  });
});

describe('tag values', () => {
  it('round-trip, and are left readable when SES accepts them as they are', () => {
    for (const value of ['demo-entity', 'acme.fr', 'a:b:c', 'é', 'b64_looks-encoded', '']) {
      const encoded = encodeTagValue(value);
      expect(encoded).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
      expect(decodeTagValue(encoded)).toBe(value);
    }
    expect(encodeTagValue('demo-entity')).toBe('demo-entity');
  });
});

describe('applySesFeedback', () => {
  it('dates the suppression when SES saw the bounce, else now', async () => {
    const suppressions = new MemorySuppressions();
    const clock = new FixedClock();
    await applySesFeedback(parseSesFeedback(snsBody(permanentBounce)), { suppressions, clock });
    const { timestamp: _t, ...undated } = complaint.complaint;
    await applySesFeedback(parseSesFeedback(snsBody({ ...complaint, complaint: undated })), { suppressions, clock });
    expect(suppressions.entries).toEqual([
      { entityId: 'demo-entity', address: 'Recipient@Example.com', reason: 'bounce/Permanent/General', at: '2017-08-05T00:41:02.669Z' },
      { entityId: 'demo-entity', address: 'recipient@example.com', reason: 'complaint/abuse', at: clock.now().toISOString() },
    ]);
  });
});

describe('ses-feedback-handler', () => {
  const record = (messageId: string, body: string): SQSRecord => ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:paylink-ses-feedback',
    awsRegion: 'eu-west-1',
  });

  function setup(suppressions: SuppressionList = new MemorySuppressions()) {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    const handler = makeHandler({ suppressions, clock: new FixedClock(), logger });
    const invoke = (records: SQSRecord[]) => handler({ Records: records } satisfies SQSEvent, lambdaContext('ses-feedback-handler'));
    return { handler, invoke, lines };
  }

  it('suppresses bounces and complaints, skips transient bounces, and reports only the poison record', async () => {
    const suppressions = new MemorySuppressions();
    const { invoke, lines } = setup(suppressions);
    const out = await invoke([
      record('m1', snsBody(permanentBounce)),
      record('m2', 'garbage'),
      record('m3', snsBody(transientBounce)),
      record('m4', snsBody(complaint)),
    ]);
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    expect(suppressions.entries.map((e) => [e.entityId, e.address, e.reason])).toEqual([
      ['demo-entity', 'Recipient@Example.com', 'bounce/Permanent/General'],
      ['demo-entity', 'recipient@example.com', 'complaint/abuse'],
    ]);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.filter((l) => l.message === 'ses feedback: addresses suppressed').map((l) => [l.type, l.entity_id, l.suppressed])).toEqual([
      ['Bounce', 'demo-entity', 1],
      ['Complaint', 'demo-entity', 1],
    ]);
    expect(logged.find((l) => l.message === 'ses feedback failed')).toMatchObject({ level: 'error', message_id: 'm2' });
  });

  it('reports a record whose suppression could not be written, and carries on', async () => {
    let calls = 0;
    const flaky: SuppressionList = {
      isSuppressed: async () => false,
      suppress: async () => {
        if (++calls === 1) throw new Error('DynamoDB unavailable');
      },
    };
    const { invoke } = setup(flaky);
    const out = await invoke([record('m1', snsBody(permanentBounce)), record('m2', snsBody(complaint))]);
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(calls).toBe(2);
  });

  it('acknowledges an unattributable bounce (a retry cannot help) and warns', async () => {
    const { tags: _tags, ...untagged } = mail;
    const { invoke, lines } = setup();
    const out = await invoke([record('m1', snsBody({ ...permanentBounce, mail: untagged }))]);
    expect(out).toEqual({ batchItemFailures: [] });
    expect(lines.some((l) => JSON.parse(l).level === 'warn' && l.includes('no_entity_tag'))).toBe(true);
  });
});
