import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SnsSmsSender, publishSmsInput } from '../../shared/adapters/sns-sms.js';
import { createPaymentLinkSchema } from '../../shared/domain/link/schemas.js';
import { createLinkBody } from '../support/fixtures.js';

const sms = { phone_number: '+33612345678', message: 'Demo Shop payment link: https://pay.example.com/payment-links/abc' };

describe('publishSmsInput', () => {
  it('publishes to the phone number as a Transactional SMS', () => {
    expect(publishSmsInput(sms)).toEqual({
      PhoneNumber: '+33612345678',
      Message: sms.message,
      MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
    });
  });

  it('adds the sender id when there is one, and refuses one SNS would reject', () => {
    expect(publishSmsInput(sms, { senderId: 'DemoShop' }).MessageAttributes?.['AWS.SNS.SMS.SenderID']).toEqual({ DataType: 'String', StringValue: 'DemoShop' });
    for (const senderId of ['', 'Demo Shop', 'ABCDEFGHIJKL', '12345']) {
      expect(() => publishSmsInput(sms, { senderId }), senderId).toThrow(RangeError);
    }
    expect(() => new SnsSmsSender(new SNSClient({ region: 'eu-west-1' }), { senderId: 'Demo-Shop' })).toThrow(RangeError);
  });

  it('refuses a number that is not E.164', () => {
    for (const phone_number of ['0612345678', '+0612345678', '+33 6 12 34 56 78', '']) {
      expect(() => publishSmsInput({ ...sms, phone_number }), phone_number).toThrow(RangeError);
    }
  });

  // Issue 9, item 6: the schema took +1234, the adapter refused it at every retry, into the DLQ.
  it('takes exactly the numbers a link can be created with, as the schema stores them', () => {
    const numbers = ['+1234', '+123456', '+1234567', '+33612345678', '+33 6 12 34 56 78', '+33012345678', '+12133734253', '+8613812345678', '+999123456', '+4915123456789', '+2905123', '+68341234'];
    for (const given of numbers) {
      const parsed = createPaymentLinkSchema.safeParse(createLinkBody({ customer: { mobile_phone_number: given } }));
      const stored = parsed.data?.customer?.mobile_phone_number ?? given;
      const published = (() => {
        try {
          return publishSmsInput({ ...sms, phone_number: stored }).PhoneNumber;
        } catch (err) {
          if (err instanceof RangeError) return undefined;
          throw err;
        }
      })();
      expect(published, `${given}: schema ${parsed.success ? 'accepts' : 'refuses'}`).toBe(parsed.success ? stored : undefined);
    }
  });
});

describe('SnsSmsSender', () => {
  const sns = mockClient(SNSClient);
  afterEach(() => sns.reset());
  const client = () => new SNSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

  it('sends one Publish and returns its MessageId', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'sns-message-1' });
    const sender = new SnsSmsSender(client(), { senderId: 'DemoShop' });
    await expect(sender.send(sms)).resolves.toEqual({ message_id: 'sns-message-1' });
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual(publishSmsInput(sms, { senderId: 'DemoShop' }));
  });

  it('lets SNS errors through, so the notifications queue retries', async () => {
    sns.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }));
    await expect(new SnsSmsSender(client()).send(sms)).rejects.toThrow('Rate exceeded');
  });

  it('fails when SNS returns no MessageId', async () => {
    sns.on(PublishCommand).resolves({});
    await expect(new SnsSmsSender(client()).send(sms)).rejects.toThrow(/no MessageId/);
  });
});
