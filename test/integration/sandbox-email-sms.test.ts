/**
 * Email and SMS in the sandbox, on the real local stand-ins: SesMailer → aws-ses-v2-local, the SMS
 * outbox, and SES's mailbox simulator: a bounce or complaint goes SNS-envelope → local SQS feedback
 * queue → the feedback handler (through the poller that stands in for the event source mapping)
 * → DynamoSuppressionList on dynalite.
 */
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeHandler as sesFeedbackHandler } from '../../functions/ses-feedback-handler/handler.js';
import { BounceSimulatingMailer, SIMULATOR_ADDRESSES, simulatorOutcome } from '../../sandbox/bounce-simulator.js';
import { startSes, type SandboxSes } from '../../sandbox/ses.js';
import { SandboxSmsOutbox } from '../../sandbox/sms-outbox.js';
import { SqsPoller } from '../../sandbox/sqs-poller.js';
import { startSqs, type QueueWithDlq, type SandboxSqs } from '../../sandbox/sqs.js';
import { ensureTable } from '../../sandbox/table.js';
import { SesMailer } from '../../shared/adapters/ses-mailer.js';
import { DynamoSuppressionList, suppressionKey } from '../../shared/adapters/suppression-list.js';
import { messageRenderer } from '../../shared/domain/notifications/messages.js';
import type { OutgoingEmail } from '../../shared/domain/ports.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import { createLogger } from '../../shared/logger.js';
import { FixedClock } from '../support/fakes.js';
import { storedLink } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

const REGION = 'eu-west-1';
const TABLE = 'paylink-email-sms-test';
const FROM = 'Paylink Sandbox <links@paylink.sandbox>';
const quiet = createLogger({ level: 'error', write: () => undefined });
const credentials = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

const link: PaymentLink = storedLink({
  expires_at: '2026-03-05T14:30:00.000Z',
  customer: { email: 'jane@example.com', first_name: 'Zoé', locale: 'fr-FR', mobile_phone_number: '+33612345678' },
  created_at: '2026-03-01T10:00:00.000Z',
  updated_at: '2026-03-01T10:00:00.000Z',
});
const customerUrl = `http://localhost:3000/payment-links/${link.id}`;

function outgoing(to: string, entityId = 'demo-entity'): OutgoingEmail {
  return {
    to,
    ...messageRenderer.email(link, { merchantName: 'Demo Shop', customerUrl, kind: 'INITIAL' }),
    tags: { entity_id: entityId, payment_link_id: link.id, notification_id: `${link.id}:EMAIL:INITIAL` },
  };
}

let ses: SandboxSes;
let sqs: SandboxSqs;
let feedbackQueue: QueueWithDlq;
let poller: SqsPoller;
let dynamo: ReturnType<typeof dynalite>;
let db: DynamoDBDocumentClient;
let suppressions: DynamoSuppressionList;
let mailer: SesMailer;
const delivered: string[] = [];
let simulator: BounceSimulatingMailer;
const clock = new FixedClock(new Date('2026-03-02T09:00:00.000Z'));

beforeAll(async () => {
  ses = await startSes({ port: 0 });
  mailer = new SesMailer(ses.client, { fromEmailAddress: FROM, configurationSetName: 'paylink-sandbox' });

  dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', () => resolve()));
  const direct = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`, region: REGION, credentials });
  await ensureTable(direct, TABLE);
  db = DynamoDBDocumentClient.from(direct, { marshallOptions: { removeUndefinedValues: true } });
  suppressions = new DynamoSuppressionList(db, TABLE);

  sqs = await startSqs({ region: REGION });
  feedbackQueue = await sqs.createQueueWithDlq('paylink-ses-feedback', { maxReceiveCount: 3 });
  poller = new SqsPoller({
    client: sqs.client,
    queueUrl: feedbackQueue.queueUrl,
    handler: sesFeedbackHandler({ suppressions, clock, logger: quiet }),
    waitTimeSeconds: 0.2,
    visibilityTimeoutSeconds: 1,
    functionName: 'ses-feedback-handler',
    logger: quiet,
  });
  await poller.start();

  simulator = new BounceSimulatingMailer({
    mailer,
    fromEmailAddress: FROM,
    clock,
    logger: quiet,
    deliver: async (body) => {
      delivered.push(body);
      await sqs.client.send(new SendMessageCommand({ QueueUrl: feedbackQueue.queueUrl, MessageBody: body }));
    },
  });
});

afterAll(async () => {
  await poller?.stop();
  await sqs?.close();
  await ses?.close();
  db?.destroy();
  await new Promise<void>((resolve) => (dynamo ? dynamo.close(() => resolve()) : resolve()));
});

beforeEach(async () => {
  await ses.clear();
  delivered.length = 0;
});

describe('email on aws-ses-v2-local', () => {
  it('captures what SesMailer sends: sender, recipient, subject, HTML and text', async () => {
    const email = outgoing('jane@example.com');
    const before = new Date();
    const { message_id } = await mailer.send(email);
    expect(message_id).toBeTruthy();

    const emails = await ses.fetchEmails(before);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({
      messageId: message_id,
      from: FROM,
      destination: { to: ['jane@example.com'], cc: [], bcc: [] },
      subject: 'Demo Shop vous a envoyé un lien de paiement',
      body: { html: email.html, text: email.text },
    });
    expect(emails[0]!.body.html).toContain(`<a href="${customerUrl}"`);
    expect(emails[0]!.body.text).toContain('Bonjour Zoé,');

    // The inbox page is served on the same port.
    const page = await fetch(ses.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);

    await ses.clear();
    expect(await ses.fetchEmails()).toEqual([]);
  });

  it('refuses to start on a port already in use', async () => {
    await expect(startSes({ port: ses.port })).rejects.toThrow(/could not listen/);
  });
});

describe('SMS outbox', () => {
  it('records each SMS with its number, text and time, for GET /sandbox/sms', async () => {
    const outbox = new SandboxSmsOutbox({ clock, limit: 2 });
    const text = messageRenderer.sms(link, { merchantName: 'Demo Shop', customerUrl, kind: 'INITIAL' });
    const first = await outbox.send({ phone_number: '+33612345678', message: text });
    const second = await outbox.send({ phone_number: '+447700900123', message: 'second' });
    expect(first.message_id).not.toBe(second.message_id);
    expect(outbox.listing()).toEqual({
      messages: [
        { phone_number: '+33612345678', message: text, sent_at: '2026-03-02T09:00:00.000Z' },
        { phone_number: '+447700900123', message: 'second', sent_at: '2026-03-02T09:00:00.000Z' },
      ],
    });
    await outbox.send({ phone_number: '+33612345678', message: 'third' });
    expect(outbox.messages().map((m) => m.message)).toEqual(['second', 'third']);
    outbox.clear();
    expect(outbox.listing()).toEqual({ messages: [] });
  });
});

describe('mailbox simulator → feedback queue → suppression list', () => {
  it('turns an email to bounce@simulator.amazonses.com into a suppression for the merchant', async () => {
    const email = outgoing(SIMULATOR_ADDRESSES.bounce);
    const { message_id } = await simulator.send(email);
    await simulator.settle();

    // Sent like any other email...
    expect((await ses.fetchEmails()).map((e) => e.destination.to)).toEqual([[SIMULATOR_ADDRESSES.bounce]]);
    // ...then SES's Bounce event, in its SNS envelope, with the email's tags.
    expect(delivered).toHaveLength(1);
    const envelope = JSON.parse(delivered[0]!) as { Type: string; Message: string };
    expect(envelope.Type).toBe('Notification');
    const event = JSON.parse(envelope.Message) as { eventType: string; bounce: { bounceType: string }; mail: { messageId: string; tags: Record<string, string[]> } };
    expect(event.eventType).toBe('Bounce');
    expect(event.bounce.bounceType).toBe('Permanent');
    expect(event.mail.messageId).toBe(message_id);
    expect(event.mail.tags.entity_id).toEqual(['demo-entity']);

    await waitFor(() => suppressions.isSuppressed('demo-entity', SIMULATOR_ADDRESSES.bounce), 10_000);
    await poller.drain({ timeoutMs: 10_000 });
    expect(await suppressions.list('demo-entity')).toContainEqual({
      address: SIMULATOR_ADDRESSES.bounce,
      reason: 'bounce/Permanent/General',
      suppressed_at: '2026-03-02T09:00:00.001Z',
      first_suppressed_at: '2026-03-02T09:00:00.001Z',
    });
    // Per merchant: another merchant may still send to it.
    expect(await suppressions.isSuppressed('demo-entity-2', SIMULATOR_ADDRESSES.bounce)).toBe(false);
  });

  it('turns a complaint into a suppression, for an entity id SES could not take as a tag value as it is', async () => {
    const entity = 'acme.fr:shop 1';
    await simulator.send(outgoing('complaint+label@simulator.amazonses.com', entity));
    await simulator.settle();
    await waitFor(() => suppressions.isSuppressed(entity, 'COMPLAINT+label@simulator.amazonses.com'), 10_000);
    expect((await suppressions.list(entity)).map((s) => s.reason)).toEqual(['complaint/abuse']);
  });

  it('sends no feedback for an ordinary address', async () => {
    await simulator.send(outgoing('jane@example.com'));
    await simulator.settle();
    expect(delivered).toEqual([]);
    expect(await ses.fetchEmails()).toHaveLength(1);
    expect(simulatorOutcome('jane@example.com')).toBeUndefined();
    expect(simulatorOutcome('Bounce+x@Simulator.AmazonSES.com')).toBe('bounce');
  });
});

describe('DynamoSuppressionList', () => {
  it('keys on a hash of the lower-cased address, keeps the address for support, and can lift a suppression', async () => {
    await suppressions.suppress('demo-entity', ' Mixed.Case@Example.com ', 'bounce/Permanent/General', new Date('2026-03-01T00:00:00Z'));
    await suppressions.suppress('demo-entity', 'mixed.case@example.com', 'complaint/abuse', new Date('2026-03-02T00:00:00Z'));
    expect(await suppressions.isSuppressed('demo-entity', 'MIXED.CASE@EXAMPLE.COM')).toBe(true);

    const key = suppressionKey('demo-entity', 'mixed.case@example.com');
    expect(key.PK).toBe('MERCHANT#demo-entity');
    expect(key.SK).toMatch(/^SUPPRESSED#[0-9a-f]{64}$/);
    const item = (await db.send(new GetCommand({ TableName: TABLE, Key: key }))).Item;
    expect(item).toMatchObject({
      address: 'mixed.case@example.com',
      reason: 'complaint/abuse',
      suppressed_at: '2026-03-02T00:00:00.000Z',
      first_suppressed_at: '2026-03-01T00:00:00.000Z',
    });

    await suppressions.remove('demo-entity', 'Mixed.Case@example.com');
    expect(await suppressions.isSuppressed('demo-entity', 'mixed.case@example.com')).toBe(false);
  });
});
