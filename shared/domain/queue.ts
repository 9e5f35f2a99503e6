/** The queue between the webhook receiver and its consumer (SQS on AWS, local-aws-sqs locally). */
export interface InboundWebhookMessage {
  provider: string;
  /** The body exactly as received: the consumer parses it, the receiver only verified it. */
  raw_body: string;
  received_at: string;
}

export interface WebhookQueue {
  send(message: InboundWebhookMessage): Promise<void>;
}
