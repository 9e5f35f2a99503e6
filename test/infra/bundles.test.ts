/**
 * Each Lambda carries only what it uses: every function is bundled as CDK bundles it
 * (infra/bundling.ts) and its bundle must hold exactly the AWS SDK clients of its manifest ports.
 * A port wired through the wrong factory, or an import that drags another client in, fails here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunction, sdkClientsIn } from '../../infra/bundling.js';
import { FUNCTIONS, FUNCTION_NAMES } from '../../shared/app/functions.js';
import type { PortName } from '../../shared/app/ports.js';

/** The SDK client each port's live adapter talks through (none: configuration or pure code). */
const CLIENT_OF: Record<PortName, string | undefined> = {
  links: 'client-dynamodb',
  merchants: 'client-dynamodb',
  idempotency: 'client-dynamodb',
  clientThrottle: 'client-dynamodb',
  deliveries: 'client-dynamodb',
  webhookSecrets: 'client-dynamodb',
  endpoints: 'client-dynamodb',
  suppressions: 'client-dynamodb',
  tokens: 'client-secrets-manager',
  redirection: 'client-secrets-manager',
  redirectionKeys: 'client-secrets-manager',
  providers: 'client-secrets-manager',
  providerEventQueue: 'client-sqs',
  deliveryQueue: 'client-sqs',
  notificationQueue: 'client-sqs',
  bus: 'client-eventbridge',
  workflow: 'client-sfn',
  mailer: 'client-sesv2',
  sms: 'client-sns',
  webhookHttp: undefined,
  ids: undefined,
  renderer: undefined,
  urls: undefined,
  urlPolicy: undefined,
};

const dir = mkdtempSync(join(tmpdir(), 'paylink-bundle-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each function bundled once, for every check below. */
const bundles = new Map<string, ReturnType<typeof bundleFunction>>();
const bundled = (name: (typeof FUNCTION_NAMES)[number]) => {
  if (!bundles.has(name)) bundles.set(name, bundleFunction(name, join(dir, `${name}.mjs`)));
  return bundles.get(name)!;
};

describe('function bundles', () => {
  it.each(FUNCTION_NAMES)('%s carries exactly the SDK clients of its ports', async (name) => {
    const bundle = await bundled(name);
    const ports: readonly PortName[] = FUNCTIONS[name].ports;
    const expected = [...new Set(ports.map((p) => CLIENT_OF[p]).filter((c): c is string => c !== undefined))].sort();
    expect(sdkClientsIn(bundle.metafile)).toEqual(expected);
  });

  // Only the routes whose body or query is checked with the schemas that also generate the OpenAPI
  // document carry the full zod build (~440 KB); queue messages, task inputs, SES feedback and the
  // provider's answers use zod/mini, which tree-shakes to the few checks used.
  const FULL_ZOD = new Set(['create-payment-link', 'list-payment-links', 'resend-notification']);
  it.each(FUNCTION_NAMES.filter((name) => !FULL_ZOD.has(name)))('%s carries no full zod build', async (name) => {
    const bundle = await bundled(name);
    const fullZod = Object.keys(bundle.metafile.inputs).filter((input) => /node_modules\/zod\/v4\/classic\//.test(input));
    expect(fullZod).toEqual([]);
  });

  // The phone-number metadata (libphonenumber-js, ~120 KB) only where numbers are checked
  // (shared/domain/phone.ts): the create schema, and the SMS adapter's sanity check in the notifier.
  const PHONE_NUMBERS = new Set(['create-payment-link', 'notifier']);
  it.each(FUNCTION_NAMES)('%s carries the phone-number metadata only if it checks phone numbers', async (name) => {
    const bundle = await bundled(name);
    const phone = Object.keys(bundle.metafile.inputs).some((input) => /node_modules\/libphonenumber-js\//.test(input));
    expect(phone).toBe(PHONE_NUMBERS.has(name));
  });
});
