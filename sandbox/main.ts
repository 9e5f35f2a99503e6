/** `npm start`: the whole service on localhost, with the demo merchants, printing where things are. */
import { join } from 'node:path';
import { createLogger, type LogLevel } from '../shared/logger.js';
import { DEMO_MERCHANTS } from './demo-merchants.js';
import { startSandbox } from './sandbox.js';

// Lambda runs Node 22+; this machine may run the sandbox on Node 20, which the SDK nags about.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const dataDir = process.env.PAYLINK_SANDBOX_DIR ?? join(process.cwd(), '.sandbox');
const sandbox = await startSandbox({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
  dataDir,
  reset: process.env.PAYLINK_SANDBOX_RESET === '1',
  logger: createLogger({ level: (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info', bindings: { service: 'paylink-sandbox' } }),
});

const lines = [
  '',
  'Paylink sandbox is running.',
  `  API base URL      ${sandbox.url}`,
  `  Health            ${sandbox.url}/health`,
  `  Token endpoint    POST ${sandbox.url}/oauth/token`,
  `  Payment links     ${sandbox.url}/payment/v2/payment-links`,
  `  EventBridge bus   ${sandbox.url}/sandbox/events`,
  `  Redirection keys  ${sandbox.url}/payment/v2/jwks`,
  `  Email inbox (SES) ${sandbox.ses.url} (SES_PORT, default 8005)`,
  `  SMS outbox        ${sandbox.url}/sandbox/sms`,
  `  Provider hooks    POST ${sandbox.url}/webhooks/sandbox (from the sandbox payment provider)`,
  `  Hosted pages      ${sandbox.url}/sandbox-psp/pay/{client session} (reached from a link's customer_url)`,
  `  Data              ${dataDir} (PAYLINK_SANDBOX_RESET=1 wipes it)`,
  '',
  'Demo merchants (sandbox-only credentials):',
  ...DEMO_MERCHANTS.map(
    (m) => `  ${m.merchant.entity_id.padEnd(14)} client_id=${m.client_id}  client_secret=${m.client_secret}  x-api-key=${m.api_key}`,
  ),
  '',
  'Webhooks to the demo merchants:',
  `  signing secret    ${sandbox.merchantWebhookSecret}${process.env.PAYLINK_SANDBOX_WEBHOOK_SECRET ? ' (from PAYLINK_SANDBOX_WEBHOOK_SECRET)' : ' (generated; set PAYLINK_SANDBOX_WEBHOOK_SECRET to fix it)'}`,
  `  default endpoint  ${process.env.PAYLINK_SANDBOX_WEBHOOK_URL ?? "none (set PAYLINK_SANDBOX_WEBHOOK_URL, or give a link its own webhook.url)"}`,
  `  retry schedule    ${process.env.PAYLINK_WEBHOOK_RETRY_SCHEDULE ? `${process.env.PAYLINK_WEBHOOK_RETRY_SCHEDULE} s (PAYLINK_WEBHOOK_RETRY_SCHEDULE)` : '5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h'}`,
  '',
  'Sandbox payment provider test cards (any future expiry date, any CVC):',
  '  4242 4242 4242 4242  authorized          4000 0000 0000 0002  refused',
  '  4000 0000 0000 3220  3DS challenge       4000 0000 0000 0077  pending, then authorized',
  `  4000 0000 0000 0093  uncertain, then refused (after SANDBOX_PENDING_MS, now ${process.env.SANDBOX_PENDING_MS ?? 3000} ms)`,
  '',
  'Press Ctrl+C to stop.',
  '',
];
process.stdout.write(lines.join('\n') + '\n');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void sandbox.stop().then(() => process.exit(0));
  });
}
