/**
 * How much the create path (middy chain, auth, validation, domain, conditional write, stream
 * emulation) costs over the bare conditional PutItem it ends in, on the same dynalite. Prints
 * ratios, not absolute times: these machines are shared and noisy, so only ratios compare.
 *
 *   npx tsx bench/create-link-overhead.ts [iterations]
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { makeHandler } from '../functions/create-payment-link/handler.js';
import { lambdaContext } from '../sandbox/lambda-context.js';
import { startSandbox } from '../sandbox/sandbox.js';
import { createLogger } from '../shared/logger.js';
import type { APIGatewayProxyEvent } from 'aws-lambda';

const N = Number(process.argv[2] ?? 300);
const sb = await startSandbox({ port: 0, sesPort: 0, logger: createLogger({ level: 'error' }) });
const token = await sb.deps.tokens.issue({ entity_id: 'demo-entity', client_id: 'demo-client' }, 3600);
const handler = makeHandler({ ...sb.deps, logger: createLogger({ level: 'error' }) });
const body = JSON.stringify({ entity_id: 'demo-entity', amount: 100, currency: 'EUR', shopper_redirection_url: 'https://example.com/x', order: { reference: 'bench' } });
const event = {
  resource: '/payment/v2/payment-links',
  path: '/payment/v2/payment-links',
  httpMethod: 'POST',
  headers: { 'content-type': 'application/json', 'x-api-key': 'demo-api-key', authorization: `Bearer ${token}` },
  body,
  isBase64Encoded: false,
  requestContext: { requestId: 'bench' },
} as unknown as APIGatewayProxyEvent;

async function time(label: string, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn(-i - 1); // warm-up
  const start = performance.now();
  for (let i = 0; i < N; i++) await fn(i);
  const perOp = (performance.now() - start) / N;
  process.stdout.write(`${label.padEnd(28)} ${perOp.toFixed(3)} ms/op\n`);
  return perOp;
}

const bare = await time('bare conditional PutItem', (i) =>
  sb.db.send(new PutCommand({ TableName: sb.tableName, Item: { PK: `BENCH#${i}#${Math.random()}`, SK: 'X', body }, ConditionExpression: 'attribute_not_exists(PK)' })),
);
const full = await time('create via handler', async () => {
  const r = await handler(event, lambdaContext('bench'));
  if (r.statusCode !== 201) throw new Error(r.body);
});
await sb.stream.drain();
process.stdout.write(`ratio handler/bare: ${(full / bare).toFixed(2)}x (the handler also reads the API key record and the merchant: 2 extra reads)\n`);
await sb.stop();
