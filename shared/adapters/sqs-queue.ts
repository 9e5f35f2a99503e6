/**
 * Every Paylink queue on SQS (local-aws-sqs in the sandbox): provider events, merchant-webhook
 * deliveries and notification requests. The body is the JSON of the message, so a provider's raw
 * body comes back to the consumer byte for byte; each consumer parses it with its schema.
 */
import { SendMessageCommand, type SendMessageCommandInput, type SQSClient } from '@aws-sdk/client-sqs';

/** SQS caps DelaySeconds at 15 minutes; longer waits are chained by the caller (the webhook sender). */
export const SQS_MAX_DELAY_SECONDS = 900;

export function sendMessageInput(queueUrl: string, message: unknown, delaySeconds?: number): SendMessageCommandInput {
  return {
    QueueUrl: queueUrl,
    MessageBody: JSON.stringify(message),
    ...(delaySeconds !== undefined ? { DelaySeconds: Math.max(0, Math.min(SQS_MAX_DELAY_SECONDS, Math.ceil(delaySeconds))) } : {}),
  };
}

/** Implements ProviderEventQueue, DeliveryQueue and NotificationQueue (each fixes M). */
export class SqsQueue<M> {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(message: M, delaySeconds?: number): Promise<void> {
    await this.client.send(new SendMessageCommand(sendMessageInput(this.queueUrl, message, delaySeconds)));
  }
}
