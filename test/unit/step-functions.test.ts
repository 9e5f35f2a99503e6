import { ExecutionAlreadyExists, ExecutionDoesNotExist, InvalidArn, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SfnWorkflowEngine, executionArn, startExecutionInput, stopExecutionInput } from '../../shared/adapters/step-functions.js';
import type { WorkflowInput } from '../../shared/domain/workflow/workflow.js';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:PaylinkLinkWorkflow-abc';
const LINK = '0b0e4c1e-6a55-4c55-9d43-3f1b1c2d9e7a';
const input: WorkflowInput = {
  payment_link_id: LINK,
  reminders: [{ at: '2026-01-16T09:00:00.000Z' }],
  expires_at: '2026-01-16T10:00:00.000Z',
  grace_seconds: 900,
};

describe('Step Functions requests', () => {
  it('names the execution after the link and passes the workflow input as JSON', () => {
    const request = startExecutionInput(STATE_MACHINE, input);
    expect(request).toEqual({ stateMachineArn: STATE_MACHINE, name: LINK, input: JSON.stringify(input) });
    expect(JSON.parse(request.input!)).toEqual(input);
  });

  it('derives the execution ARN from the state machine ARN and the link id', () => {
    expect(executionArn(STATE_MACHINE, LINK)).toBe(`arn:aws:states:eu-west-1:123456789012:execution:PaylinkLinkWorkflow-abc:${LINK}`);
    expect(executionArn('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:m', 'x')).toBe('arn:aws-cn:states:cn-north-1:123456789012:execution:m:x');
    expect(stopExecutionInput(STATE_MACHINE, LINK)).toMatchObject({ executionArn: executionArn(STATE_MACHINE, LINK) });
  });

  it.each([
    'arn:aws:states:eu-west-1:123456789012:execution:m:x',
    'arn:aws:lambda:eu-west-1:123456789012:function:m',
    'PaylinkLinkWorkflow',
    'arn:aws:states:eu-west-1:123456789012:stateMachine:',
  ])('refuses %s as a state machine ARN', (arn) => {
    expect(() => executionArn(arn, LINK)).toThrow(/not a state machine ARN/);
  });

  it.each(['', 'a b', 'a:b', 'x'.repeat(81), 'a/b'])('refuses %j as an execution name', (id) => {
    expect(() => startExecutionInput(STATE_MACHINE, { ...input, payment_link_id: id })).toThrow(/cannot name an execution/);
    expect(() => stopExecutionInput(STATE_MACHINE, id)).toThrow(/cannot name an execution/);
  });
});

describe('SfnWorkflowEngine', () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());
  const engine = () => new SfnWorkflowEngine(new SFNClient({ region: 'eu-west-1' }), STATE_MACHINE);

  it('starts the named execution', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArn(STATE_MACHINE, LINK), startDate: new Date() });
    await engine().start(input);
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([startExecutionInput(STATE_MACHINE, input)]);
  });

  it('treats an execution that already exists as started (a redelivered stream record)', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    await expect(engine().start(input)).resolves.toBeUndefined();
  });

  it('passes other start failures on', async () => {
    sfn.on(StartExecutionCommand).rejects(new InvalidArn({ message: 'Invalid Arn', $metadata: {} }));
    await expect(engine().start(input)).rejects.toBeInstanceOf(InvalidArn);
  });

  it('stops the link’s execution by its derived ARN', async () => {
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    await engine().stop(LINK);
    expect(sfn.commandCalls(StopExecutionCommand).map((c) => c.args[0].input)).toEqual([stopExecutionInput(STATE_MACHINE, LINK)]);
  });

  it('treats a missing execution as stopped', async () => {
    sfn.on(StopExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    await expect(engine().stop(LINK)).resolves.toBeUndefined();
  });

  it('passes other stop failures on', async () => {
    sfn.on(StopExecutionCommand).rejects(new Error('throttled'));
    await expect(engine().stop(LINK)).rejects.toThrow('throttled');
  });
});
