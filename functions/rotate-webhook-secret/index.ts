/** Lambda entry point: the ports its manifest entry lists (shared/app/functions.ts), built once per cold start. */
import { live } from '../../shared/app/live.js';
import { tokens } from '../../shared/app/live/secrets.js';
import { idempotency, merchants, webhookSecrets } from '../../shared/app/live/table.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler(await live('rotate-webhook-secret', { merchants, tokens, webhookSecrets, idempotency }));
