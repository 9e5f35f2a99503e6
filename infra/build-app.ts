/**
 * Builds the CDK app: the one construction that `cdk synth`/`cdk deploy` (infra/app.ts) and the
 * infra tests share, cdk-nag included, so a test sees exactly what would be deployed.
 *
 * Context:
 *   merchants         entity ids that get an API key and usage plan: a JSON array, or "m1,m2"
 *   publicApiBaseUrl  public base URL when a custom domain fronts the API
 *   stackName         defaults to Paylink
 */
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PaylinkStack } from './paylink-stack.js';

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

export function buildApp(context: Record<string, unknown> = {}, props: Omit<AppProps, 'context'> = {}): { app: App; stack: PaylinkStack } {
  const app = new App({ ...props, context });
  const stack = new PaylinkStack(app, optionalString(app.node.tryGetContext('stackName'), 'stackName') ?? 'Paylink', {
    description: 'Paylink: serverless Pay-by-Link service',
    merchants: parseMerchants(app.node.tryGetContext('merchants')),
    publicApiBaseUrl: optionalString(app.node.tryGetContext('publicApiBaseUrl'), 'publicApiBaseUrl'),
  });
  // Synthesis fails on any AwsSolutions error not acknowledged (with a reason) in the stack.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
