/** WebhookQueue on Amazon SQS (local-aws-sqs in the sandbox). The message body is the JSON of the
 * inbound webhook, so the consumer gets the provider's raw body back byte for byte. */
import { SendMessageCommand, type SendMessageCommandInput, type SQSClient } from '@aws-sdk/client-sqs';
import type { InboundWebhookMessage, WebhookQueue } from '../domain/queue.js';

export function sendMessageInput(queueUrl: string, message: InboundWebhookMessage): SendMessageCommandInput {
  return {
    QueueUrl: queueUrl,
    MessageBody: JSON.stringify({ provider: message.provider, raw_body: message.raw_body, received_at: message.received_at }),
  };
}

export class SqsWebhookQueue implements WebhookQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: InboundWebhookMessage): Promise<void> {
    await this.client.send(new SendMessageCommand(sendMessageInput(this.queueUrl, message)));
  }
}
