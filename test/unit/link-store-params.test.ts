import { describe, expect, it } from 'vitest';
import { TABLE_KEYS } from '../../shared/adapters/dynamodb.js';
import { decodeCursor, encodeCursor, linkFromItem, linkItem, listQuery } from '../../shared/adapters/link-store.js';
import { ValidationError } from '../../shared/domain/errors.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';

const link = {
  id: 'l-1',
  entity_id: 'm-1',
  status: 'OPENED',
  order: { reference: 'o-9' },
  created_at: '2026-01-01T00:00:00.000Z',
} as PaymentLink;

describe('link items', () => {
  it('carry the keys of the table and of each index, and round-trip', () => {
    const item = linkItem(link);
    expect(item).toMatchObject({
      PK: 'LINK#l-1',
      SK: 'LINK',
      GSI1PK: 'ENTITY#m-1',
      GSI1SK: '2026-01-01T00:00:00.000Z#l-1',
      GSI2PK: 'ENTITY#m-1#STATUS#OPENED',
      GSI3PK: 'ENTITY#m-1#ORDER#o-9',
    });
    expect(linkFromItem(item)).toEqual(link);
  });
});

describe('list queries', () => {
  it('pick the index that answers the filter without a scan', () => {
    expect(listQuery('m-1', {})).toEqual({ index: TABLE_KEYS.byEntity, partitionValue: 'ENTITY#m-1' });
    expect(listQuery('m-1', { status: 'PAID' })).toEqual({ index: TABLE_KEYS.byEntityStatus, partitionValue: 'ENTITY#m-1#STATUS#PAID' });
    expect(listQuery('m-1', { status: 'PAID', order_reference: 'o' })).toEqual({
      index: TABLE_KEYS.byEntityOrder,
      partitionValue: 'ENTITY#m-1#ORDER#o',
      statusFilter: 'PAID',
    });
  });
});

describe('cursors', () => {
  const index = TABLE_KEYS.byEntity;
  const key = { PK: 'LINK#l-1', SK: 'LINK', GSI1PK: 'ENTITY#m-1', GSI1SK: '2026#l-1' };

  it('round-trip for the same index and partition', () => {
    expect(decodeCursor(encodeCursor(key), index, 'ENTITY#m-1')).toEqual(key);
  });

  it.each([
    ['garbage', 'not base64 json'],
    [Buffer.from('[1]').toString('base64url'), 'an array'],
    [encodeCursor({ ...key, extra: 'x' }), 'extra keys'],
    [encodeCursor({ ...key, GSI1SK: 5 }), 'a non-string key'],
  ])('reject %s (%s)', (cursor) => {
    expect(() => decodeCursor(cursor, index, 'ENTITY#m-1')).toThrow(ValidationError);
  });

  it('cannot reach another merchant’s partition or another index', () => {
    expect(() => decodeCursor(encodeCursor(key), index, 'ENTITY#m-2')).toThrow(ValidationError);
    expect(() => decodeCursor(encodeCursor(key), TABLE_KEYS.byEntityStatus, 'ENTITY#m-1#STATUS#PAID')).toThrow(ValidationError);
  });
});
