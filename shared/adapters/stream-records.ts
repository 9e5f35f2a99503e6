/** Turns DynamoDB stream records into domain values (old and new link images). */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue as LambdaAttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { PaymentLink } from '../domain/link/model.js';
import { linkFromItem } from './link-store.js';

export interface LinkChange {
  /** The record's sequence number, reported back for partial batch failures. */
  sequenceNumber: string;
  old?: PaymentLink;
  new?: PaymentLink;
}

const image = (img: Record<string, LambdaAttributeValue> | undefined) =>
  img ? unmarshall(img as Record<string, AttributeValue>) : undefined;

/** Link changes only; other items in the table (merchants, idempotency records) are not events. */
export function linkChangeFromRecord(record: DynamoDBRecord): LinkChange | undefined {
  const oldItem = image(record.dynamodb?.OldImage);
  const newItem = image(record.dynamodb?.NewImage);
  const sk = (newItem ?? oldItem)?.SK;
  if (sk !== 'LINK') return undefined;
  return {
    sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
    ...(oldItem ? { old: linkFromItem(oldItem) } : {}),
    ...(newItem ? { new: linkFromItem(newItem) } : {}),
  };
}
