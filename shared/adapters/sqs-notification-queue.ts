/** The notifications queue on SQS (sends, reminders and resends waiting for the notifier). */
import { SendMessageCommand, type SendMessageCommandInput, type SQSClient } from '@aws-sdk/client-sqs';
import type { NotificationQueue, NotificationRequest } from '../domain/notifications.js';

export function notificationMessageInput(queueUrl: string, request: NotificationRequest): SendMessageCommandInput {
  return { QueueUrl: queueUrl, MessageBody: JSON.stringify(request) };
}

export class SqsNotificationQueue implements NotificationQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(request: NotificationRequest): Promise<void> {
    await this.client.send(new SendMessageCommand(notificationMessageInput(this.queueUrl, request)));
  }
}
