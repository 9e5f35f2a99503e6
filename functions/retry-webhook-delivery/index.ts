/** Lambda entry point: the ports its manifest entry lists (shared/app/functions.ts), built once per cold start. */
import { live } from '../../shared/app/live.js';
import { deliveryQueue } from '../../shared/app/live/queues.js';
import { tokens } from '../../shared/app/live/secrets.js';
import { links, merchants, deliveries } from '../../shared/app/live/table.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler(await live('retry-webhook-delivery', { links, merchants, tokens, deliveries, deliveryQueue }));
