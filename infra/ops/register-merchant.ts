/**
 * Registers a merchant in a deployed stack's table: its profile, an OAuth client with a freshly
 * generated secret (printed once, stored only as a scrypt hash) and the digest of its API Gateway
 * API key. Run with the operator's AWS credentials; see docs/runbook.md.
 *
 *   npx tsx infra/ops/register-merchant.ts --table <TableName> --entity-id acme \
 *     --display-name "ACME" --client-id acme-backend --api-key "$(aws apigateway get-api-key ... --include-value --query value --output text)"
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { makeDocumentClient } from '../../shared/adapters/dynamodb.js';
import { DynamoMerchantSecretStore, newMerchantWebhookSecret } from '../../shared/adapters/delivery-store.js';
import { DynamoMerchantDirectory } from '../../shared/adapters/merchant-directory.js';

const { values } = parseArgs({
  options: {
    table: { type: 'string' },
    'entity-id': { type: 'string' },
    'display-name': { type: 'string' },
    'client-id': { type: 'string' },
    'api-key': { type: 'string' },
    'default-expiry-minutes': { type: 'string', default: String(24 * 60) },
  },
});

const missing = ['table', 'entity-id', 'display-name', 'client-id', 'api-key'].filter((k) => !values[k as keyof typeof values]);
if (missing.length > 0) {
  process.stderr.write(`missing --${missing.join(', --')}\n`);
  process.exit(2);
}

const clientSecret = randomBytes(32).toString('base64url');
const webhookSecret = newMerchantWebhookSecret();
const db = makeDocumentClient();
const directory = new DynamoMerchantDirectory(db, values.table!);
await directory.register({
  merchant: {
    entity_id: values['entity-id']!,
    display_name: values['display-name']!,
    default_expiry_minutes: Number(values['default-expiry-minutes']),
    active: true,
  },
  client_id: values['client-id']!,
  client_secret: clientSecret,
  api_key: values['api-key']!,
});
await new DynamoMerchantSecretStore(db, values.table!).set(values['entity-id']!, webhookSecret, new Date());
process.stdout.write(
  `Registered ${values['entity-id']}.\n` +
    `client_id=${values['client-id']}\nclient_secret=${clientSecret}\n(shown once; only its hash is stored)\n` +
    `webhook signing secret=${webhookSecret}\n(shown once; rotate with POST /payment/v2/webhook-secrets/rotate)\n`,
);
