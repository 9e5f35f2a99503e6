/** The live event bus port (EventBridge). */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeBus } from '../../adapters/event-bus.js';
import { ENV, requiredEnv } from '../env.js';

export const bus = () => new EventBridgeBus(new EventBridgeClient({}), requiredEnv(ENV.eventBusName));
