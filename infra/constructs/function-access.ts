/**
 * Lambdas: each one told and allowed exactly what its ports use. A manifest entry
 * (shared/app/functions.ts) becomes a PaylinkFunction whose environment is the variables its ports
 * read (PORT_ENV) and whose role holds one hand-listed statement per kind of access. The live
 * wiring (shared/app/live/) builds exactly a function's manifest ports, each from its variables, so
 * a function that is not given a name or an ARN neither knows the resource nor may touch it, and
 * fails loudly if it starts to.
 *
 * Each concern makes what it creates known here (`provide`) and creates its functions here
 * (`addFunction`), in the order of the stack: a function whose ports need something not created yet
 * fails synthesis, naming both.
 */
import { Lazy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLE_KEYS } from '../../shared/adapters/dynamodb.js';
import { ENV, PORT_ENV, type EnvName } from '../../shared/app/env.js';
import { FUNCTION_NAMES, type FunctionSpec, type TableAccess } from '../../shared/app/functions.js';
import type { PortName } from '../../shared/app/ports.js';
import { QUEUES, QUEUE_NAMES, type QueueName, type QueueSpec } from '../../shared/app/queues.js';
import type { LinkWorkflow } from '../link-workflow.js';
import { acknowledgeNag } from '../nag.js';
import { PaylinkFunction } from '../paylink-function.js';

/** What the notifier sends from. */
export interface EmailSender {
  /** The From, as the notifier is told it. */
  fromAddress: string;
  /** The configuration set that reports bounces and complaints. */
  configurationSetName: string;
  /** What SES v2 SendEmail is authorised against: the sender identity (or identities) and the configuration set. */
  sendEmailResources: string[];
}

/** The resources ports live in, as the concerns create them. */
export interface PortResources {
  table: dynamodb.ITable;
  tokenSigningKeys: secretsmanager.ISecret;
  redirectionSigningKeys: secretsmanager.ISecret;
  providerConfig: secretsmanager.ISecret;
  bus: events.IEventBus;
  workflow: LinkWorkflow;
  emailSender: EmailSender;
  /** The API's stage URL without its trailing slash. */
  stageUrl: string;
}

export interface FunctionAccessOptions {
  /** Public base URL of the API when a custom domain fronts it. */
  publicApiBaseUrl?: string;
  /** Alphanumeric SMS sender id, when one is configured. */
  smsSenderId?: string;
}

/** A manifest entry: its name (its folder under functions/) and its spec. */
export interface ManifestEntry {
  name: string;
  spec: FunctionSpec;
}

/** The ports that live in the table: those whose adapters read TABLE_NAME. */
const TABLE_PORTS = (Object.keys(PORT_ENV) as PortName[]).filter((port) => PORT_ENV[port].includes(ENV.tableName));
const INDEXES = [TABLE_KEYS.byEntity, TABLE_KEYS.byEntityStatus, TABLE_KEYS.byEntityOrder];
/** SendMessage on a queue, per sending port, under the statement ids the deployed roles have. */
const QUEUE_SENDS = [
  ['providerEventQueue', 'QueueProviderWebhooks'],
  ['deliveryQueue', 'QueueMerchantWebhooks'],
  ['notificationQueue', 'QueueNotifications'],
] as const satisfies ReadonlyArray<readonly [PortName, string]>;

const TRACING_WILDCARD = 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions.';
const SMS_WILDCARD =
  'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions, and sns:Publish ' +
  'to a phone number (SMS) has no resource ARN to name: it is granted on * with aws:RequestedRegion pinned to this ' +
  'region. The notifier publishes to no topic; SNS offers no condition key that would restrict Publish to SMS only.';

const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase());

/**
 * A function's table access, checked against its ports: a port in the table needs an access written
 * in the manifest (what a function may do to the table is a decision, with no default), and an
 * access no port uses is a grant too many.
 */
export function tableAccessOf({ name, spec }: ManifestEntry): TableAccess | undefined {
  const ports = spec.ports.filter((port) => TABLE_PORTS.includes(port));
  if (ports.length > 0 && !spec.table) {
    throw new Error(`function ${name} has ports in the table (${ports.join(', ')}) but no table access in the manifest (shared/app/functions.ts)`);
  }
  if (spec.table && ports.length === 0) {
    throw new Error(`function ${name} has a table access (${spec.table.sid}) in the manifest but no port in the table (${TABLE_PORTS.join(', ')})`);
  }
  return spec.table;
}

export class FunctionAccess {
  /** Every function created so far, keyed by its manifest name. */
  readonly functions = new Map<string, PaylinkFunction>();
  private readonly resources: Partial<PortResources> = {};
  private readonly queues = new Map<QueueName, sqs.IQueue>();

  constructor(private readonly options: FunctionAccessOptions = {}) {}

  /** Makes resources known to the functions created from now on. */
  provide(resources: Partial<PortResources>): void {
    Object.assign(this.resources, resources);
  }

  /** Makes a queue of shared/app/queues.ts known to the functions that send to it. */
  provideQueue(name: QueueName, queue: sqs.IQueue): void {
    this.queues.set(name, queue);
  }

  /**
   * Creates a manifest function in `scope` (construct id: its name in PascalCase), told and allowed
   * what its ports use. `wildcardReason` says why its role may hold `Resource: *` when more than
   * active tracing puts it there.
   */
  addFunction(scope: Construct, entry: ManifestEntry, options: { wildcardReason?: string } = {}): PaylinkFunction {
    const { name, spec } = entry;
    if (this.functions.has(name)) throw new Error(`function ${name} is created twice`);
    const table = tableAccessOf(entry);
    const fn = new PaylinkFunction(scope, pascal(name), {
      name,
      environment: this.environmentOf(entry),
      timeoutSeconds: spec.timeoutSeconds,
      memoryMb: spec.memoryMb,
    });
    for (const statement of this.statementsOf(entry, table, Stack.of(scope).region)) fn.role.addToPolicy(statement);
    if (spec.ports.includes('bus')) this.need('bus', name).grantPutEventsTo(fn.fn);
    if (spec.ports.includes('workflow')) this.need('workflow', name).grantStartStop(fn.role);
    // Active tracing (and whatever the reason adds) put `Resource: *` in the role's policy.
    acknowledgeNag(fn.role, 'IAM5[Resource::*]', options.wildcardReason ?? (spec.ports.includes('sms') ? SMS_WILDCARD : TRACING_WILDCARD));
    this.functions.set(name, fn);
    return fn;
  }

  /** Fails synthesis when a manifest function was created by no concern (a trigger nobody wires). */
  checkAllCreated(): void {
    const missing = FUNCTION_NAMES.filter((name) => !this.functions.has(name));
    if (missing.length > 0) throw new Error(`no construct creates these manifest functions: ${missing.join(', ')}`);
  }

  private environmentOf(entry: ManifestEntry): Record<string, string> {
    const variables = new Set<EnvName>([...entry.spec.ports.flatMap((port) => PORT_ENV[port]), ENV.logLevel]);
    const environment: Record<string, string> = {};
    for (const variable of variables) {
      const value = this.valueOf(variable, entry);
      if (value !== undefined) environment[variable] = value;
    }
    return environment;
  }

  /** The value a variable is given, or undefined when it stays unset (optional ones only). */
  private valueOf(variable: EnvName, { name, spec }: ManifestEntry): string | undefined {
    switch (variable) {
      case ENV.tableName:
        return this.need('table', name).tableName;
      case ENV.tokenKeysSecretArn:
        return this.need('tokenSigningKeys', name).secretArn;
      case ENV.redirectionKeysSecretArn:
        return this.need('redirectionSigningKeys', name).secretArn;
      case ENV.providerConfigSecretArn:
        return this.need('providerConfig', name).secretArn;
      case ENV.providerEventQueueUrl:
        return this.queueOf('providerEventQueue', name).queueUrl;
      case ENV.deliveryQueueUrl:
        return this.queueOf('deliveryQueue', name).queueUrl;
      case ENV.notificationQueueUrl:
        return this.queueOf('notificationQueue', name).queueUrl;
      case ENV.eventBusName:
        return this.need('bus', name).eventBusName;
      case ENV.workflowStateMachineArn:
        return this.need('workflow', name).stateMachine.stateMachineArn;
      case ENV.notificationFromAddress:
        return this.need('emailSender', name).fromAddress;
      case ENV.sesConfigurationSet:
        return this.need('emailSender', name).configurationSetName;
      case ENV.smsSenderId:
        return this.options.smsSenderId;
      case ENV.publicApiBaseUrl:
        // The base URL builds the links handed out. A function behind a route is told it only when a
        // custom domain fronts the API; otherwise it takes it from the request, and it could not be
        // told the stage URL anyway: its method is part of the deployment the stage points to (a
        // cycle). The others are behind no route, so they always get one: the configured URL, else
        // the stage URL without its trailing slash, which is what the route functions derive from a
        // request. Lazily, because the notifier is created before the API (whose routes send to its queue).
        if (spec.trigger.kind === 'route') return this.options.publicApiBaseUrl;
        return this.options.publicApiBaseUrl ?? Lazy.string({ produce: () => this.need('stageUrl', name) });
      case ENV.payBaseUrl:
        // Derived from the public API base URL by the wiring; the stack never sets it.
        return undefined;
      case ENV.urlPolicy:
        // The URL policy checks merchant-supplied URLs (in the sender: where a webhook may be sent).
        return 'production';
      case ENV.logLevel:
        return 'info';
      default: {
        const unknown: never = variable;
        throw new Error(`no value for the variable ${String(unknown)}`);
      }
    }
  }

  /** The role's statements, in the order they appear in its policy. */
  private statementsOf({ name, spec }: ManifestEntry, table: TableAccess | undefined, region: string): iam.PolicyStatement[] {
    const has = (port: PortName) => spec.ports.includes(port);
    const allow = (sid: string, actions: string[], resources: string[]) => new iam.PolicyStatement({ sid, actions, resources });
    const statements: iam.PolicyStatement[] = [];
    if (table) {
      const tableArn = this.need('table', name).tableArn;
      // Exactly the operations the adapters issue, written out rather than grantReadWriteData or
      // grantRead, which would add batch, transaction, scan and describe actions the code never uses.
      // The sid says what for (e.g. TableLinkItems: the payment flows read a link, and its merchant,
      // and write it back under the version condition; each concern says what its functions' are for).
      statements.push(allow(table.sid, table.actions.map((action) => `dynamodb:${action}`), [tableArn]));
      // A grant on the table ARN does not reach its indexes (…/index/<name>): only the list views
      // query them. (The delivery log is a Query of the link's partition in the base table.)
      if (table.indexes) statements.push(allow('TableIndexQueries', ['dynamodb:Query'], INDEXES.map((index) => `${tableArn}/index/${index.name}`)));
    }
    if (has('providers')) statements.push(allow('ReadProviderConfig', ['secretsmanager:GetSecretValue'], [this.need('providerConfig', name).secretArn]));
    // SQS-managed encryption: no KMS key to grant.
    for (const [port, sid] of QUEUE_SENDS) if (has(port)) statements.push(allow(sid, ['sqs:SendMessage'], [this.queueOf(port, name).queueArn]));
    if (has('tokens')) statements.push(allow('ReadTokenSigningKeys', ['secretsmanager:GetSecretValue'], [this.need('tokenSigningKeys', name).secretArn]));
    const redirectionKeys = () => [this.need('redirectionSigningKeys', name).secretArn];
    if (has('redirection')) statements.push(allow('ReadRedirectionSigningKeys', ['secretsmanager:GetSecretValue'], redirectionKeys()));
    if (has('redirectionKeys')) {
      statements.push(allow('KeepRedirectionSigningKeys', ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], redirectionKeys()));
    }
    // SES v2 SendEmail is authorised against the sender identity and the configuration set named in
    // the request; SendRawEmail and templates are never used.
    if (has('mailer')) statements.push(allow('SendNotificationEmail', ['ses:SendEmail'], this.need('emailSender', name).sendEmailResources));
    if (has('sms')) {
      // SMS go to phone numbers, which have no ARN: Publish to a number can only be granted on `*`.
      // The region condition keeps it to this region's SMS settings and spend limit.
      statements.push(
        new iam.PolicyStatement({
          sid: 'SendNotificationSms',
          actions: ['sns:Publish'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:RequestedRegion': region } },
        }),
      );
    }
    return statements;
  }

  private need<K extends keyof PortResources>(resource: K, fn: string): PortResources[K] {
    const value = this.resources[resource];
    if (value === undefined) throw new Error(`function ${fn} needs the ${resource}, which is not created yet: create its concern first`);
    return value as PortResources[K];
  }

  private queueOf(port: PortName, fn: string): sqs.IQueue {
    const name = QUEUE_NAMES.find((queue) => (QUEUES[queue] as QueueSpec).port === port);
    if (!name) throw new Error(`no queue in shared/app/queues.ts is sent to by the port ${port}`);
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`function ${fn} sends to the queue ${name}, which is not created yet: create its concern first`);
    return queue;
  }
}
