/** The one SQS batch helper: a record that fails to parse or to apply is reported alone; the others are applied. */
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { jsonMessage, processSqsBatch } from '../../shared/lambda/sqs-batch.js';
import { deliveryMessageSchema, notificationRequestSchema } from '../../shared/lambda/queue-messages.js';
import { createLogger } from '../../shared/logger.js';

const event = (bodies: string[]): SQSEvent => ({ Records: bodies.map((body, i) => ({ messageId: `m${i}`, body }) as SQSRecord) });

const parseNotification = jsonMessage(notificationRequestSchema);

describe('processSqsBatch', () => {
  it('reports unreadable, invalid and failing records, applies the rest in order, and logs ids only', async () => {
    const lines: string[] = [];
    const applied: string[] = [];
    const result = await processSqsBatch(
      event([
        'not json',
        JSON.stringify({ id: 'n1', payment_link_id: 'l1', channel: 'EMAIL', kind: 'INITIAL' }),
        JSON.stringify({ id: 'n2', payment_link_id: 'l1', channel: 'FAX', kind: 'INITIAL' }),
        JSON.stringify({ id: 'boom', payment_link_id: 'l1', channel: 'SMS', kind: 'RESEND' }),
        JSON.stringify({ id: 'n3', payment_link_id: 'l2', channel: 'SMS', kind: 'REMINDER' }),
      ]),
      {
        name: 'notification',
        parse: parseNotification,
        ids: (m) => ({ notification_id: m.id }),
        apply: async (m) => {
          if (m.id === 'boom') throw new Error('SES throttled');
          applied.push(m.id);
        },
      },
      createLogger({ write: (l) => lines.push(l) }),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }, { itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] });
    expect(applied).toEqual(['n1', 'n3']);
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['notification failed', 'notification failed', 'notification failed']);
    expect(JSON.parse(lines[2]!)).toMatchObject({ message_id: 'm3', notification_id: 'boom' });
  });
});

describe('queue message schemas', () => {
  it('take the messages the senders write and refuse anything else', () => {
    const parse = jsonMessage(deliveryMessageSchema);
    expect(parse('{"event_id":"e","payment_link_id":"l","not_before":"2025-01-01T00:00:00Z","manual":true}')).toEqual({
      event_id: 'e',
      payment_link_id: 'l',
      not_before: '2025-01-01T00:00:00Z',
      manual: true,
    });
    for (const bad of ['{"event_id":1,"payment_link_id":"l"}', '{"event_id":"e"}', '{"event_id":"","payment_link_id":"l"}', '{"event_id":"e","payment_link_id":"l","manual":"yes"}', 'null']) {
      expect(() => parse(bad), bad).toThrow();
    }
  });
});
