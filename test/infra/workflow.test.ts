/** The per-link workflow (infra/constructs/workflow.ts): the state machine and its two task functions. */
import { describe, expect, it } from 'vitest';
import type { PaylinkFunction } from '../../infra/paylink-function.js';
import { asList, logicalId, ofType, propsOf, roleStatements, synthesised } from './support.js';

const REMINDER = 'workflow-reminder';
const EXPIRE = 'workflow-expire';

describe('link workflow', () => {
  it('lets the state machine invoke its two task functions and nothing else', () => {
    const { resources, stack } = synthesised();
    const statements = roleStatements(resources, stack.linkWorkflow.stateMachine.role);
    const invokes = statements.filter((st) => asList(st.Action).some((a) => a.startsWith('lambda:')));
    const fnArn = (fn: PaylinkFunction) => ({ 'Fn::GetAtt': [logicalId(fn), 'Arn'] });
    expect(invokes.flatMap((st) => asList(st.Action))).toEqual(['lambda:InvokeFunction', 'lambda:InvokeFunction']);
    expect(invokes.flatMap((st) => asList(st.Resource))).toEqual(
      expect.arrayContaining([stack.fn(REMINDER), stack.fn(EXPIRE)].flatMap((fn) => [fnArn(fn), { 'Fn::Join': ['', [fnArn(fn), ':*']] }])),
    );
    expect(invokes.flatMap((st) => asList(st.Resource))).toHaveLength(4);
    // The rest is X-Ray and log delivery (no resource ARNs exist for those).
    for (const st of statements.filter((x) => !invokes.includes(x))) {
      expect(st.Resource).toBe('*');
      for (const a of asList(st.Action)) expect(a).toMatch(/^(xray|logs):/);
    }
  });

  it('is a Standard state machine whose tasks are the stack\'s two workflow functions', () => {
    const { resources, stack } = synthesised();
    const machines = ofType(resources, 'AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(1);
    const props = machines[0]![1].Properties!;
    expect(props.StateMachineType).toBe('STANDARD');
    const definition = JSON.stringify(props.DefinitionString);
    expect(definition).toContain(`"${logicalId(stack.fn(REMINDER))}"`);
    expect(definition).toContain(`"${logicalId(stack.fn(EXPIRE))}"`);
    // Each task Lambda finishes well inside the state machine's 30 s task timeout.
    for (const fn of [stack.fn(REMINDER), stack.fn(EXPIRE)]) expect(propsOf(resources, logicalId(fn)).Timeout as number).toBeLessThan(30);
  });
});
