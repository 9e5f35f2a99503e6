/**
 * SQS for the sandbox: local-aws-sqs in this process, with the inbound-webhook queue and its
 * dead-letter queue (RedrivePolicy, maxReceiveCount 5 as on AWS). Messages live in memory; given a
 * journal file they also survive a crash of the process (sqs-journal.ts): `restore()` puts them back.
 *
 * local-aws-sqs quirks that shape this module and the poller (checked against 2.0.2):
 * - ReceiveMessage returns attributes (ApproximateReceiveCount, SentTimestamp, ...) only for the
 *   deprecated `AttributeNames` parameter, not for `MessageSystemAttributeNames`: send both.
 * - ChangeMessageVisibility counts as a receive (it bumps ApproximateReceiveCount, and can move a
 *   message to the DLQ), unlike AWS. The poller never calls it; only `peekMessages` does, on the DLQ.
 * - ApproximateNumberOfMessages includes in-flight messages (AWS counts visible ones only).
 * - A message redelivered by the redrive keeps its MessageId in the DLQ.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { createRequestHandler } from 'local-aws-sqs';
import { closeServer } from './close-server.js';
import { SqsJournal, type LocalQueue } from './sqs-journal.js';

export interface SandboxSqsOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  region?: string;
  accountId?: string;
  /** The inbound-webhook queue; its DLQ is `<queueName>-dlq` unless dlqName says otherwise. */
  queueName?: string;
  dlqName?: string;
  /** Receives before SQS moves a message to the DLQ. */
  maxReceiveCount?: number;
  /** Journal every message here (JSON lines) so that `restore()` brings back what a crash left. */
  journalPath?: string;
}

export interface QueueWithDlq {
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
}

export interface PeekedMessage {
  messageId: string;
  body: string;
  /** System attributes as SQS returns them (SentTimestamp, DeadLetterQueueSourceArn, ...). */
  attributes: Record<string, string>;
  messageAttributes: Record<string, MessageAttributeValue>;
}

export interface SandboxSqs extends QueueWithDlq {
  endpoint: string;
  region: string;
  client: SQSClient;
  /** Another queue and DLQ pair on the same server (notifications, merchant webhooks, ...). */
  createQueueWithDlq(queueName: string, options?: { dlqName?: string; maxReceiveCount?: number }): Promise<QueueWithDlq>;
  /** The messages in the inbound-webhook DLQ, left in place. */
  peekDeadLetters(): Promise<PeekedMessage[]>;
  /**
   * With a journal: puts back the messages the last run left in its queues (create every queue
   * first, poll after). Once; without a journal it restores nothing.
   */
  restore(): { restored: number; dropped: number };
  close(): Promise<void>;
}

export const DEFAULT_MAX_RECEIVE_COUNT = 5;
const CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };
/** AWS's maximum retention, so dead letters outlive anything the sandbox does. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

export async function queueArn(client: SQSClient, queueUrl: string): Promise<string> {
  const out = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`no QueueArn for ${queueUrl}`);
  return arn;
}

export async function createQueueWithDlq(
  client: SQSClient,
  queueName: string,
  options: { dlqName?: string; maxReceiveCount?: number } = {},
): Promise<QueueWithDlq> {
  const maxReceiveCount = options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
  const dlq = await client.send(
    new CreateQueueCommand({ QueueName: options.dlqName ?? `${queueName}-dlq`, Attributes: { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS) } }),
  );
  const dlqUrl = dlq.QueueUrl!;
  const dlqArn = await queueArn(client, dlqUrl);
  const main = await client.send(
    new CreateQueueCommand({
      QueueName: queueName,
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }) },
    }),
  );
  const queueUrl = main.QueueUrl!;
  return { queueUrl, queueArn: await queueArn(client, queueUrl), dlqUrl, dlqArn };
}

/**
 * Reads every message of a queue without consuming it: receive them all (hidden meanwhile), then
 * make them visible again. Meant for a DLQ, which nothing else reads: on local-aws-sqs each peek
 * adds to the messages' ApproximateReceiveCount.
 */
export async function peekMessages(client: SQSClient, queueUrl: string): Promise<PeekedMessage[]> {
  const seen = new Map<string, Message>();
  for (;;) {
    const out = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 30,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const m of fresh) seen.set(m.MessageId!, m);
  }
  const messages = [...seen.values()];
  for (let i = 0; i < messages.length; i += 10) {
    await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.slice(i, i + 10).map((m, j) => ({ Id: String(i + j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
      }),
    );
  }
  return messages.map((m) => ({
    messageId: m.MessageId!,
    body: m.Body ?? '',
    attributes: { ...m.Attributes },
    messageAttributes: { ...m.MessageAttributes },
  }));
}

export async function startSqs(options: SandboxSqsOptions = {}): Promise<SandboxSqs> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'eu-west-1';
  // createSqsServer, minus the part that hides the service: close() needs it to clear the
  // library's per-message timers.
  const { service, requestHandler } = createRequestHandler({
    port: options.port ?? 0,
    hostname: host,
    region,
    accountId: options.accountId ?? '000000000000',
    emulateQueueCreationLifecycle: false,
  });
  const journal = options.journalPath ? SqsJournal.open(options.journalPath) : undefined;
  const queues = () => service.Queues as unknown as LocalQueue[];
  const server: Server = createServer((req, res) => {
    journal?.hook(queues()); // a CreateQueue since the last request may have added one
    void requestHandler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  service.PORT = port; // queue URLs carry the real port
  const endpoint = `http://${host}:${port}`;
  const client = new SQSClient({ endpoint, region, credentials: CREDENTIALS });

  const queueName = options.queueName ?? 'paylink-inbound-webhooks';
  let pair: QueueWithDlq;
  try {
    pair = await createQueueWithDlq(client, queueName, {
      ...(options.dlqName ? { dlqName: options.dlqName } : {}),
      maxReceiveCount: options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT,
    });
  } catch (error) {
    client.destroy();
    server.close();
    journal?.close();
    throw error;
  }

  // Peeks hide the DLQ's messages for a moment: one at a time, so each sees them all.
  let peeking: Promise<unknown> = Promise.resolve();
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    region,
    client,
    ...pair,
    createQueueWithDlq: (name, opts) => createQueueWithDlq(client, name, opts),
    peekDeadLetters: () => {
      const next = peeking.then(
        () => peekMessages(client, pair.dlqUrl),
        () => peekMessages(client, pair.dlqUrl),
      );
      peeking = next;
      return next;
    },
    restore: () => journal?.restore(queues()) ?? { restored: 0, dropped: 0 },
    close: () =>
      (closed ??= (async () => {
        client.destroy();
        await closeServer(server);
        journal?.close(); // emptying the queues below is a shutdown, not a purge
        service.resetAll();
        // The handles are released in the loop's close phase: resolve after it.
        await new Promise((resolve) => setTimeout(resolve, 0));
      })()),
  };
}
