/** The live workflow port: the per-link state machine on Step Functions. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnWorkflowEngine } from '../../adapters/step-functions.js';
import { ENV, requiredEnv } from '../env.js';

export const workflow = () => new SfnWorkflowEngine(new SFNClient({}), requiredEnv(ENV.workflowStateMachineArn));
