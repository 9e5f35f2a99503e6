/** Live queue ports (SQS), one client per container. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsQueue } from '../../adapters/sqs-queue.js';
import type { DeliveryMessage, ProviderEventMessage } from '../../domain/ports.js';
import type { NotificationRequest } from '../../domain/notifications/notifications.js';
import { ENV, requiredEnv } from '../env.js';

let client: SQSClient | undefined;
const sqs = () => (client ??= new SQSClient({}));

export const providerEventQueue = () => new SqsQueue<ProviderEventMessage>(sqs(), requiredEnv(ENV.providerEventQueueUrl));
export const deliveryQueue = () => new SqsQueue<DeliveryMessage>(sqs(), requiredEnv(ENV.deliveryQueueUrl));
export const notificationQueue = () => new SqsQueue<NotificationRequest>(sqs(), requiredEnv(ENV.notificationQueueUrl));
