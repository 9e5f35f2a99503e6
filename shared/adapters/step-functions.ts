/**
 * WorkflowEngine on AWS Step Functions: one Standard execution per payment link, named after the
 * link. A name is unique per state machine for 90 days after its execution ends, so a redelivered
 * stream record cannot start a second workflow for the same link, and the execution ARN is known
 * from the link id alone (no lookup table to stop it).
 */
import {
  StartExecutionCommand,
  StopExecutionCommand,
  type SFNClient,
  type StartExecutionCommandInput,
  type StopExecutionCommandInput,
} from '@aws-sdk/client-sfn';
import type { WorkflowEngine } from '../domain/ports.js';
import type { WorkflowInput } from '../domain/workflow/workflow.js';

/** Step Functions execution names: 1–80 characters, none of whitespace, brackets, wildcards or `"#%\^|~`$&,;:/`. */
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

function executionName(paymentLinkId: string): string {
  if (!EXECUTION_NAME.test(paymentLinkId)) throw new Error(`payment link id ${JSON.stringify(paymentLinkId)} cannot name an execution`);
  return paymentLinkId;
}

/** arn:aws:states:REGION:ACCOUNT:stateMachine:NAME → arn:aws:states:REGION:ACCOUNT:execution:NAME:EXECUTION */
export function executionArn(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[0] !== 'arn' || parts[2] !== 'states' || parts[5] !== 'stateMachine' || !parts[6]) {
    throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  }
  return [...parts.slice(0, 5), 'execution', parts[6], executionName(name)].join(':');
}

export function startExecutionInput(stateMachineArn: string, input: WorkflowInput): StartExecutionCommandInput {
  return { stateMachineArn, name: executionName(input.payment_link_id), input: JSON.stringify(input) };
}

export function stopExecutionInput(stateMachineArn: string, paymentLinkId: string): StopExecutionCommandInput {
  return {
    executionArn: executionArn(stateMachineArn, paymentLinkId),
    error: 'Paylink.LinkClosed',
    cause: 'the payment link was paid or cancelled',
  };
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : undefined);

export class SfnWorkflowEngine implements WorkflowEngine {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(input: WorkflowInput): Promise<void> {
    try {
      await this.client.send(new StartExecutionCommand(startExecutionInput(this.stateMachineArn, input)));
    } catch (error) {
      // The link's execution exists (running with other input, or finished): it was started before.
      if (errorName(error) === 'ExecutionAlreadyExists') return;
      throw error;
    }
  }

  async stop(paymentLinkId: string): Promise<void> {
    try {
      // Stopping an execution that has already ended changes nothing and is not an error.
      await this.client.send(new StopExecutionCommand(stopExecutionInput(this.stateMachineArn, paymentLinkId)));
    } catch (error) {
      if (errorName(error) === 'ExecutionDoesNotExist') return;
      throw error;
    }
  }
}
