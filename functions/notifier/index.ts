/** Lambda entry point: ports built once per cold start from the environment. */
import { liveNotifierDeps } from '../../shared/adapters/compose.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler(await liveNotifierDeps());
