/**
 * What the infra tests share: building the app through buildApp (the construction `cdk synth` uses,
 * cdk-nag included) with bundling skipped, the synthesised template once per test file, and the
 * template readers and assertions more than one concern's tests use. Nothing touches AWS or the
 * network.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { afterAll, expect } from 'vitest';
import { buildApp } from '../../infra/build-app.js';
import type { PaylinkFunction } from '../../infra/paylink-function.js';
import type { PaylinkStack } from '../../infra/paylink-stack.js';

export type Json = Record<string, unknown>;
export interface CfnResource {
  Type: string;
  Properties?: Json;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
export interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

// Each test file imports this module afresh (vitest isolates files), so the hook is the file's.
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** The app and stack for a context, in a throwaway output directory. */
export function build(context: Record<string, unknown> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'paylink-infra-'));
  outdirs.push(outdir);
  // In-memory mode: a failed validation throws with the report in the message.
  const built = buildApp({ ...NO_BUNDLING, '@aws-cdk/core:appMode': 'inmemory', ...context }, { outdir });
  return { ...built, outdir };
}

export interface Synthesised {
  template: Template;
  resources: Record<string, CfnResource>;
  stack: PaylinkStack;
}
export const templateOf = (stack: PaylinkStack): Synthesised => {
  const template = Template.fromStack(stack);
  return { template, resources: template.toJSON().Resources as Record<string, CfnResource>, stack };
};

/** The default context's template, synthesised once per test file. */
export const synthesised = (() => {
  let cached: Synthesised | undefined;
  return () => (cached ??= templateOf(build().stack));
})();

export const ofType = (resources: Record<string, CfnResource>, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/** Logical id of a construct's CloudFormation resource (its default child). */
export const idOf = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
export const logicalId = (fn: PaylinkFunction) => idOf(fn.fn);

export const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

export const propsOf = (resources: Record<string, CfnResource>, id: string): Json => {
  const r = resources[id];
  if (!r) throw new Error(`no resource ${id} in the template`);
  return r.Properties ?? {};
};

/** The event source mappings that invoke a function. */
export const mappingsOf = (resources: Record<string, CfnResource>, fn: PaylinkFunction) =>
  ofType(resources, 'AWS::Lambda::EventSourceMapping')
    .filter(([, m]) => JSON.stringify(m.Properties?.FunctionName) === JSON.stringify({ Ref: logicalId(fn) }))
    .map(([, m]) => m.Properties ?? {});

/** The statements of the IAM policies attached to a role. */
export const roleStatements = <S extends Statement = Statement>(resources: Record<string, CfnResource>, role: IConstruct): S[] =>
  ofType(resources, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties?.Roles as { Ref: string }[]).some((r) => r.Ref === idOf(role)))
    .flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement: S[] }).Statement);

/** The queue's TLS-only policy (enforceSSL). */
export const expectTlsOnly = (template: Template, queueId: string) =>
  template.hasResourceProperties('AWS::SQS::QueuePolicy', {
    Queues: [{ Ref: queueId }],
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
  });

/** A source queue and its DLQ: SQS-managed encryption, the redrive after `receives`, 14 days in the DLQ. */
export function expectQueueWithDlq(synth: Synthesised, queue: sqs.Queue, dlq: sqs.Queue, receives: number) {
  const { template, resources } = synth;
  const queueId = idOf(queue);
  const dlqId = idOf(dlq);
  expect(propsOf(resources, queueId)).toMatchObject({
    SqsManagedSseEnabled: true,
    RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: receives },
  });
  const dlqProps = propsOf(resources, dlqId);
  expect(dlqProps).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
  expect(dlqProps.RedrivePolicy).toBeUndefined();
  expect(dlqProps.MessageRetentionPeriod as number).toBeGreaterThan((propsOf(resources, queueId).MessageRetentionPeriod as number | undefined) ?? 4 * 24 * 3600);
  for (const id of [queueId, dlqId]) expectTlsOnly(template, id);
}

/** The one event source mapping that reads a queue, and the function it invokes. */
export function onlyReaderOf(resources: Record<string, CfnResource>, queue: sqs.Queue) {
  const readers = ofType(resources, 'AWS::Lambda::EventSourceMapping').filter(
    ([, m]) => JSON.stringify(m.Properties?.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [idOf(queue), 'Arn'] }),
  );
  expect(readers, queue.node.path).toHaveLength(1);
  return readers[0]![1].Properties!;
}
