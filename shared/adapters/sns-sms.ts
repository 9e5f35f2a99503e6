/**
 * SMS through SNS Publish to a phone number, as Transactional (delivery is optimised for
 * reliability rather than cost, as one-time links need), with an optional alphanumeric sender id
 * where the destination country supports one.
 */
import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import { isE164PhoneNumber } from '../domain/phone.js';
import type { SmsSender } from '../domain/ports.js';

export interface SnsSmsOptions {
  /** 1–11 letters and digits, at least one letter (AWS.SNS.SMS.SenderID). */
  senderId?: string;
}

const SENDER_ID = /^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$/;

function checkSenderId(senderId: string | undefined): void {
  if (senderId !== undefined && !SENDER_ID.test(senderId)) {
    throw new RangeError('SMS sender id must be 1–11 letters and digits, with at least one letter');
  }
}

export function publishSmsInput(sms: { phone_number: string; message: string }, options: SnsSmsOptions = {}): PublishCommandInput {
  // The rule links are created with (phone.ts), so a stored number never fails here at every retry.
  if (!isE164PhoneNumber(sms.phone_number)) throw new RangeError('SMS phone number must be a valid number in E.164, e.g. +33612345678');
  checkSenderId(options.senderId);
  return {
    PhoneNumber: sms.phone_number,
    Message: sms.message,
    MessageAttributes: {
      'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
      ...(options.senderId ? { 'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: options.senderId } } : {}),
    },
  };
}

export class SnsSmsSender implements SmsSender {
  constructor(
    private readonly client: SNSClient,
    private readonly options: SnsSmsOptions = {},
  ) {
    checkSenderId(options.senderId); // at cold start rather than at every send
  }

  async send(sms: { phone_number: string; message: string }): Promise<{ message_id: string }> {
    const out = await this.client.send(new PublishCommand(publishSmsInput(sms, this.options)));
    if (!out.MessageId) throw new Error('SNS Publish returned no MessageId');
    return { message_id: out.MessageId };
  }
}
