/** The merchant-webhook queue on SQS. Delays above SQS's 15-minute maximum are chained by the sender. */
import { SendMessageCommand, type SendMessageCommandInput, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryMessage, DeliveryQueue } from '../domain/merchant-webhooks.js';

export const SQS_MAX_DELAY_SECONDS = 900;

export function deliveryMessageInput(queueUrl: string, message: DeliveryMessage, delaySeconds = 0): SendMessageCommandInput {
  return {
    QueueUrl: queueUrl,
    MessageBody: JSON.stringify(message),
    DelaySeconds: Math.max(0, Math.min(SQS_MAX_DELAY_SECONDS, Math.ceil(delaySeconds))),
  };
}

export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(message: DeliveryMessage, delaySeconds = 0): Promise<void> {
    await this.client.send(new SendMessageCommand(deliveryMessageInput(this.queueUrl, message, delaySeconds)));
  }
}
