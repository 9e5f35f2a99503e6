/** Lambda entry point: the ports its manifest entry lists (shared/app/functions.ts), built once per cold start. */
import { live } from '../../shared/app/live.js';
import { redirectionKeys } from '../../shared/app/live/secrets.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler(await live('redirection-key-rotator', { redirectionKeys }));
