/** Lambda entry point: the ports its manifest entry lists (shared/app/functions.ts), built once per cold start. */
import { live } from '../../shared/app/live.js';
import { tokens } from '../../shared/app/live/secrets.js';
import { clientThrottle, merchants } from '../../shared/app/live/table.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler(await live('oauth-token', { merchants, tokens, clientThrottle }));
