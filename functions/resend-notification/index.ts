/** Lambda entry point: the ports its manifest entry lists (shared/app/functions.ts), built once per cold start. */
import { live } from '../../shared/app/live.js';
import { notificationQueue } from '../../shared/app/live/queues.js';
import { tokens } from '../../shared/app/live/secrets.js';
import { idempotency, links, merchants } from '../../shared/app/live/table.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler(await live('resend-notification', { links, merchants, tokens, notificationQueue, idempotency }));
