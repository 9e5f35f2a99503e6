/**
 * Environment variable names, once: the stack sets them (infra/) and the live wiring reads them
 * (shared/app/live/). PORT_ENV says which variables configure which port, so a function is told
 * exactly what its manifest ports need and nothing else.
 */
import type { PortName } from './ports.js';

export const ENV = {
  tableName: 'TABLE_NAME',
  tokenKeysSecretArn: 'TOKEN_KEYS_SECRET_ARN',
  redirectionKeysSecretArn: 'REDIRECTION_KEYS_SECRET_ARN',
  providerConfigSecretArn: 'PROVIDER_CONFIG_SECRET_ARN',
  providerEventQueueUrl: 'PROVIDER_EVENT_QUEUE_URL',
  deliveryQueueUrl: 'DELIVERY_QUEUE_URL',
  notificationQueueUrl: 'NOTIFICATION_QUEUE_URL',
  eventBusName: 'EVENT_BUS_NAME',
  workflowStateMachineArn: 'WORKFLOW_STATE_MACHINE_ARN',
  notificationFromAddress: 'NOTIFICATION_FROM_ADDRESS',
  sesConfigurationSet: 'SES_CONFIGURATION_SET',
  smsSenderId: 'SMS_SENDER_ID',
  publicApiBaseUrl: 'PUBLIC_API_BASE_URL',
  payBaseUrl: 'PAY_BASE_URL',
  urlPolicy: 'URL_POLICY',
  logLevel: 'LOG_LEVEL',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** The variables each port reads; optional ones (SMS sender id, a custom domain) may be absent. */
export const PORT_ENV: { readonly [P in PortName]: readonly EnvName[] } = {
  links: [ENV.tableName],
  merchants: [ENV.tableName],
  idempotency: [ENV.tableName],
  clientThrottle: [ENV.tableName],
  deliveries: [ENV.tableName],
  webhookSecrets: [ENV.tableName],
  endpoints: [ENV.tableName],
  suppressions: [ENV.tableName],
  tokens: [ENV.tokenKeysSecretArn],
  redirection: [ENV.redirectionKeysSecretArn],
  redirectionKeys: [ENV.redirectionKeysSecretArn],
  providers: [ENV.providerConfigSecretArn],
  providerEventQueue: [ENV.providerEventQueueUrl],
  deliveryQueue: [ENV.deliveryQueueUrl],
  notificationQueue: [ENV.notificationQueueUrl],
  bus: [ENV.eventBusName],
  workflow: [ENV.workflowStateMachineArn],
  mailer: [ENV.notificationFromAddress, ENV.sesConfigurationSet],
  sms: [ENV.smsSenderId],
  webhookHttp: [ENV.urlPolicy],
  ids: [],
  renderer: [],
  urls: [ENV.publicApiBaseUrl, ENV.payBaseUrl],
  urlPolicy: [ENV.urlPolicy],
};

/** Reads a variable the function cannot run without. */
export function requiredEnv(name: EnvName): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function optionalEnv(name: EnvName): string | undefined {
  return process.env[name] || undefined;
}
