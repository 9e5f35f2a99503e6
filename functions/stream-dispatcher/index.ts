/** Lambda entry point: the ports its manifest entry lists (shared/app/functions.ts), built once per cold start. */
import { live } from '../../shared/app/live.js';
import { bus } from '../../shared/app/live/bus.js';
import { urls } from '../../shared/app/live/config.js';
import { deliveryQueue, notificationQueue } from '../../shared/app/live/queues.js';
import { merchants, deliveries } from '../../shared/app/live/table.js';
import { workflow } from '../../shared/app/live/workflow.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler(await live('stream-dispatcher', { bus, merchants, deliveries, deliveryQueue, notificationQueue, workflow, urls }));
