/** Lambda entry point: ports built once per cold start from the environment. */
import { liveWorkflowTaskDeps } from '../../shared/adapters/compose.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler(await liveWorkflowTaskDeps());
