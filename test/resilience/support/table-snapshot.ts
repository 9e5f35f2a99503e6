/**
 * What the table holds, for "a rejected request creates nothing": every item's key and version,
 * read with a consistent scan of the sandbox's table.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** `PK|SK` → the item's `version` (or `-` for items without one). */
export type TableSnapshot = Map<string, string>;

export async function tableSnapshot(db: DynamoDBDocumentClient, tableName: string): Promise<TableSnapshot> {
  const snapshot: TableSnapshot = new Map();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ProjectionExpression: 'PK, SK, #v',
        ExpressionAttributeNames: { '#v': 'version' },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) snapshot.set(`${String(item.PK)}|${String(item.SK)}`, String(item.version ?? '-'));
    start = out.LastEvaluatedKey;
  } while (start);
  return snapshot;
}

/** The keys added, removed or changed (by version) between two snapshots; empty when equal. */
export function snapshotDiff(before: TableSnapshot, after: TableSnapshot): string[] {
  const diff: string[] = [];
  for (const [key, version] of after) {
    if (!before.has(key)) diff.push(`+ ${key}`);
    else if (before.get(key) !== version) diff.push(`~ ${key} v${before.get(key)}→v${version}`);
  }
  for (const key of before.keys()) if (!after.has(key)) diff.push(`- ${key}`);
  return diff;
}
