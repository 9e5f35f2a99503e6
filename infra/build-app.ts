/**
 * Builds the CDK app: the one construction that `cdk synth`/`cdk deploy` (infra/app.ts) and the
 * infra tests share, cdk-nag included, so a test sees exactly what would be deployed.
 *
 * Context:
 *   merchants         entity ids that get an API key and usage plan: a JSON array, or "m1,m2"
 *   publicApiBaseUrl  public base URL when a custom domain fronts the API
 *   notificationFromAddress  From of the links' emails, `address` or `Name <address>`, an address
 *                     you own (SES verifies it); defaults to no-reply@example.com, which cannot be
 *                     verified: deployable, but no email goes out until this is set
 *   notificationDomain  verify this domain in SES (Easy DKIM) instead of the single address
 *   smsSenderId       alphanumeric SMS sender id (1–11 characters), where countries allow one
 *   stackName         defaults to Paylink
 */
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { publishSmsInput } from '../shared/adapters/sns-sms.js';
import { senderAddress } from './constructs/notifications.js';
import { PaylinkStack, type PaylinkStackProps } from './paylink-stack.js';

/** Entity ids become construct ids and key names: keep them to a safe alphabet. */
const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function parseMerchants(raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === '') return [];
  let list: unknown = raw;
  if (typeof raw === 'string') {
    list = raw.trim().startsWith('[') ? (JSON.parse(raw) as unknown) : raw.split(',').map((s) => s.trim()).filter(Boolean);
  }
  if (!Array.isArray(list) || !list.every((id): id is string => typeof id === 'string' && ENTITY_ID.test(id))) {
    throw new Error(`context "merchants" must be a list of entity ids matching ${ENTITY_ID}, got ${JSON.stringify(raw)}`);
  }
  const ids = list as string[];
  if (new Set(ids).size !== ids.length) throw new Error('context "merchants" lists an entity id twice');
  return ids;
}

function optionalString(raw: unknown, name: string): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') throw new Error(`context "${name}" must be a string`);
  return raw;
}

/** A domain name as SES takes it for an identity. */
const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

type SenderProps = Pick<PaylinkStackProps, 'notificationFromAddress' | 'notificationDomain' | 'smsSenderId'>;

/** The notification sender from context, checked at synth rather than at every notifier cold start. */
export function parseNotificationSender(context: (name: keyof SenderProps) => unknown): SenderProps {
  const from = optionalString(context('notificationFromAddress'), 'notificationFromAddress');
  const domain = optionalString(context('notificationDomain'), 'notificationDomain');
  const smsSenderId = optionalString(context('smsSenderId'), 'smsSenderId');
  if (from !== undefined) senderAddress(from);
  if (domain !== undefined && !DOMAIN.test(domain)) throw new Error(`context "notificationDomain" is not a domain name: ${JSON.stringify(domain)}`);
  // The notifier's own check (SnsSmsSender), run on a sample message.
  if (smsSenderId !== undefined) publishSmsInput({ phone_number: '+33612345678', message: 'check' }, { senderId: smsSenderId });
  return {
    ...(from !== undefined ? { notificationFromAddress: from } : {}),
    ...(domain !== undefined ? { notificationDomain: domain } : {}),
    ...(smsSenderId !== undefined ? { smsSenderId } : {}),
  };
}

export function buildApp(context: Record<string, unknown> = {}, props: Omit<AppProps, 'context'> = {}): { app: App; stack: PaylinkStack } {
  const app = new App({ ...props, context });
  const stack = new PaylinkStack(app, optionalString(app.node.tryGetContext('stackName'), 'stackName') ?? 'Paylink', {
    description: 'Paylink: serverless Pay-by-Link service',
    merchants: parseMerchants(app.node.tryGetContext('merchants')),
    publicApiBaseUrl: optionalString(app.node.tryGetContext('publicApiBaseUrl'), 'publicApiBaseUrl'),
    ...parseNotificationSender((name) => app.node.tryGetContext(name)),
  });
  // Synthesis fails on any AwsSolutions error not acknowledged (with a reason) in the stack.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
