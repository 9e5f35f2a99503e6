/**
 * The Paylink stack, read top to bottom as the design document (see ../shared/design/ARCHITECTURE.md
 * in the handbook): one table holds every link and is the only thing an API call writes; the table's
 * stream drives every effect that follows a change; an EventBridge bus carries those changes to
 * subscribers; a REST API in front, keyed per merchant.
 *
 * Names shared with the code (key attributes, index names, routes, event source and detail types)
 * are imported from shared/, never retyped here, so the stack and the handlers cannot drift apart.
 */
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLE_KEYS, keys } from '../shared/adapters/dynamodb.js';
import { DETAIL_TYPES, EVENT_SOURCE } from '../shared/domain/link-events.js';
import type { LinkStatus } from '../shared/domain/link-status.js';
import { ROUTES } from '../shared/routes.js';
import { acknowledgeNag } from './nag.js';
import { PaylinkFunction } from './paylink-function.js';

export interface PaylinkStackProps extends StackProps {
  /** Entity ids of the merchants that get an API key and a usage plan (context `merchants`). */
  merchants?: readonly string[];
  /** Public base URL of the API when a custom domain fronts it (context `publicApiBaseUrl`). */
  publicApiBaseUrl?: string;
}

/** The stage name is part of every URL handed to merchants and shoppers: keep it stable. */
export const API_STAGE = 'v1';
export const DISPATCHER_FN = 'stream-dispatcher';

const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase());

export class PaylinkStack extends Stack {
  readonly table: dynamodb.Table;
  readonly tokenSigningKeys: secretsmanager.Secret;
  readonly bus: events.EventBus;
  readonly api: apigw.RestApi;
  /** One function per distinct `fn` in ROUTES, keyed by that name. */
  readonly apiFunctions: ReadonlyMap<string, PaylinkFunction>;
  readonly dispatcher: PaylinkFunction;

  constructor(scope: Construct, id: string, props: PaylinkStackProps = {}) {
    super(scope, id, props);

    // ── The single table ─────────────────────────────────────────────────────────────────────
    // Base table: PK/SK, one item per thing, addressed directly (never scanned):
    //   LINK#<id>          / LINK         the payment link (status, version, amounts, urls…)
    //   MERCHANT#<entity>  / PROFILE      a merchant's settings
    //   CLIENT#<client id> / CLIENT       an OAuth client, secret stored hashed
    //   APIKEY#<digest>    / APIKEY       an API key's owner, key stored as a digest
    //   IDEMPOTENCY#<key>  / IDEMPOTENCY  a replayable response, deleted by TTL
    // The three indexes are the merchant's list views, all "newest first" on the sort key:
    //   by-entity         GSI1PK/GSI1SK  every link of an entity
    //   by-entity-status  GSI2PK/GSI2SK  an entity's links in one status
    //   by-entity-order   GSI3PK/GSI3SK  an entity's links for one order reference
    // Projection ALL: a list page is served from the index alone, without a GetItem per row.
    // Writes are single-item conditional writes on `version`, so no transactions are needed.
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      // The stream is the outbox: every effect of a change (events, webhooks, notifications,
      // workflow) is derived from it, so both images are needed to tell what changed.
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: TABLE_KEYS.ttl,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // The table is the system of record for money movements: never lose it to a stack operation.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of [TABLE_KEYS.byEntity, TABLE_KEYS.byEntityStatus, TABLE_KEYS.byEntityOrder]) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partition, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sort, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    // ── Access-token signing keys ────────────────────────────────────────────────────────────
    // Generated at deploy time, so no key ever exists in the repository or in a template. The
    // Lambdas get the ARN and read the value at cold start (shared/adapters/compose.ts). The shape is
    // what parseSigningKeys accepts: {kid, secret}, or a list of them while rotating.
    this.tokenSigningKeys = new secretsmanager.Secret(this, 'TokenSigningKeys', {
      description: 'Paylink access-token signing keys: {"kid","secret"} or a list of them (first signs, all verify)',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ kid: 'k1' }),
        generateStringKey: 'secret',
        passwordLength: 64,
        excludePunctuation: true,
      },
    });
    acknowledgeNag(
      this.tokenSigningKeys,
      'SMG4',
      'No rotation schedule yet: rotating means prepending a new {kid, secret} and keeping the old key until ' +
        'issued tokens expire (parseSigningKeys accepts a list), which needs a custom rotation Lambda; until ' +
        'then keys are rotated by hand by putting such a list.',
    );

    // ── Event bus ────────────────────────────────────────────────────────────────────────────
    // Internal subscribers listen here instead of polling the API. A custom bus (not `default`) so
    // that PutEvents can be granted on this bus alone and subscribers' rules do not mix with others.
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: this.stackName.toLowerCase() });
    // The archive makes a subscriber's bug recoverable: replay the last 90 days into a fixed rule.
    this.bus.archive('Archive', {
      description: 'Every Paylink event, for replay',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(90),
    });
    this.addPaidLinksExampleRule();

    // ── Lambdas ──────────────────────────────────────────────────────────────────────────────
    const environment: Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      EVENT_BUS_NAME: this.bus.eventBusName,
      // The ARN only: the value is fetched at cold start and never lands in configuration.
      TOKEN_KEYS_SECRET_ARN: this.tokenSigningKeys.secretArn,
      URL_POLICY: 'production',
      LOG_LEVEL: 'info',
      ...(props.publicApiBaseUrl ? { PUBLIC_API_BASE_URL: props.publicApiBaseUrl } : {}),
    };

    // Exactly the item operations the stores issue (shared/adapters: Get/Put/Update/Delete on the
    // table, Query on the three list indexes), written out rather than grantReadWriteData, which
    // would add batch, transaction, scan and describe actions the code never uses.
    const tableItemAccess = new iam.PolicyStatement({
      sid: 'TableItems',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resources: [this.table.tableArn],
    });
    const tableIndexQueries = new iam.PolicyStatement({
      sid: 'TableIndexQueries',
      actions: ['dynamodb:Query'],
      resources: [TABLE_KEYS.byEntity, TABLE_KEYS.byEntityStatus, TABLE_KEYS.byEntityOrder].map(
        (index) => `${this.table.tableArn}/index/${index.name}`,
      ),
    });
    const readSigningKeys = new iam.PolicyStatement({
      sid: 'ReadTokenSigningKeys',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [this.tokenSigningKeys.secretArn],
    });

    const apiFunctions = new Map<string, PaylinkFunction>();
    for (const route of ROUTES) {
      if (apiFunctions.has(route.fn)) continue;
      const fn = new PaylinkFunction(this, pascal(route.fn), { fn: route.fn, environment });
      for (const statement of [tableItemAccess, tableIndexQueries, readSigningKeys]) fn.role.addToPolicy(statement);
      acknowledgeTracingWildcard(fn, 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions.');
      apiFunctions.set(route.fn, fn);
    }
    this.apiFunctions = apiFunctions;

    // ── Stream dispatcher ────────────────────────────────────────────────────────────────────
    // The one place a committed change becomes effects. It reads no items and no secret, so it gets
    // neither the table name nor the secret ARN, and no access to them: stream read (from the event
    // source) and PutEvents only.
    this.dispatcher = new PaylinkFunction(this, pascal(DISPATCHER_FN), {
      fn: DISPATCHER_FN,
      environment: { EVENT_BUS_NAME: environment.EVENT_BUS_NAME!, LOG_LEVEL: environment.LOG_LEVEL! },
      timeout: Duration.seconds(30),
    });
    this.bus.grantPutEventsTo(this.dispatcher.fn);

    // A batch that still fails after the retries is recorded here instead of blocking the shard
    // forever. Stream destinations receive the shard id and sequence-number range, not the items: an
    // operator finds the links from there (or in the table) and re-drives them after a fix.
    const streamFailures = new sqs.Queue(this, 'StreamFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeNag(
      streamFailures,
      'SQS3',
      'This queue is itself the dead-letter destination of the stream event source; a queue behind it would add nothing.',
    );

    const linkItem = keys.link('any');
    this.dispatcher.fn.addEventSource(
      new DynamoEventSource(this.table, {
        // From the oldest record the stream still holds: a new or redeployed mapping misses nothing.
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        // The handler stops at the first failing record and reports it, so the rest of the shard
        // keeps its order; bisecting isolates a poison record, and bounded retries park it in the queue.
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(streamFailures),
        // Only link items mean anything to subscribers; idempotency records, merchants and keys
        // never invoke the function (and are never billed as invocations).
        filters: [
          lambda.FilterCriteria.filter({
            dynamodb: { Keys: { [TABLE_KEYS.sort]: { S: lambda.FilterRule.isEqual(linkItem.SK) } } },
          }),
        ],
      }),
    );
    acknowledgeTracingWildcard(
      this.dispatcher,
      'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and dynamodb:ListStreams (added by the ' +
        'DynamoDB event source) support no resource-level permissions; stream reads themselves are on this table\'s stream ARN.',
    );

    // ── REST API ─────────────────────────────────────────────────────────────────────────────
    this.api = this.createApi(apiFunctions);
    this.addMerchantUsagePlans(props.merchants ?? []);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Paylink API (stage v1)' });
    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName, description: 'EventBridge bus with Paylink events' });
  }

  /**
   * A rule to copy: PAID links, written to a log group, so an operator can watch payments arrive and
   * a subscriber sees the exact pattern to use. The log group's resource policy is a native
   * AWS::Logs::ResourcePolicy limited to this log group and this rule (the events-targets
   * CloudWatchLogGroup target would instead deploy a custom-resource Lambda allowed on `*`).
   */
  private addPaidLinksExampleRule(): void {
    const paid: LinkStatus = 'PAID';
    const paidLinks = new logs.LogGroup(this, 'PaidLinksLog', {
      // EventBridge log-group targets must live under /aws/events/.
      logGroupName: `/aws/events/${this.stackName.toLowerCase()}/paid-links`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const rule = new events.Rule(this, 'PaidLinksExample', {
      eventBus: this.bus,
      description: 'Example subscriber: payment links that became PAID',
      eventPattern: { source: [EVENT_SOURCE], detailType: [DETAIL_TYPES.linkStatusChanged], detail: { status: [paid] } },
    });
    const logGroupTargetArn = this.formatArn({
      service: 'logs',
      resource: 'log-group',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: paidLinks.logGroupName,
    });
    rule.addTarget({ bind: () => ({ arn: logGroupTargetArn }) });
    new logs.ResourcePolicy(this, 'PaidLinksLogPolicy', {
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [paidLinks.logGroupArn],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
        }),
      ],
    });
  }

  private createApi(functions: ReadonlyMap<string, PaylinkFunction>): apigw.RestApi {
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const api = new apigw.RestApi(this, 'Api', {
      restApiName: `${this.stackName.toLowerCase()}-api`,
      description: 'Paylink payment-links API (x-api-key + Bearer access token)',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Keys come from the x-api-key header and select the merchant's usage plan.
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      // API Gateway logs to CloudWatch through one account-wide role; without it stage logging fails
      // to deploy in a fresh account. Retained, because other APIs in the account may rely on it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: API_STAGE,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Request bodies carry customer emails and phone numbers: never copy them into logs.
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        // Stage-wide ceiling; each merchant's usage plan sets its own, lower one.
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
      },
    });

    for (const route of ROUTES) {
      const fn = functions.get(route.fn);
      if (!fn) throw new Error(`no function for route ${route.method} ${route.path}`);
      api.root.resourceForPath(route.path).addMethod(route.method, new apigw.LambdaIntegration(fn.fn, { allowTestInvoke: false }), {
        apiKeyRequired: route.apiKeyRequired,
      });
    }

    this.addGatewayResponses(api);

    acknowledgeNag(
      api,
      'APIG2',
      'Requests are validated in the Lambda with the zod schemas that also generate the OpenAPI document ' +
        '(one schema per shape, 4xx naming the field); an API Gateway validator without models would check nothing.',
    );
    acknowledgeNag(
      api,
      'APIG3',
      'No WAF web ACL in the base stack (a per-account cost and policy decision); throttling is enforced by ' +
        'the stage and per-merchant usage plans. Attach a regional web ACL to the v1 stage where required.',
    );
    acknowledgeNag(
      api,
      'APIG4',
      'Callers authenticate with a per-merchant API key (required by API Gateway) plus a Bearer access token ' +
        '(HS256 JWT from POST /oauth/token) verified in the Lambda; POST /oauth/token itself takes client credentials.',
    );
    acknowledgeNag(
      api,
      'COG4',
      'Merchants are machine clients using OAuth client credentials issued by Paylink, not Cognito user-pool ' +
        'users; the token is verified in the Lambda, and the API key is required by API Gateway.',
    );
    const cloudWatchRole = api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      acknowledgeNag(
        cloudWatchRole,
        'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'The account-level API Gateway logging role uses the AWS managed policy documented for it; API Gateway ' +
          'writes to log groups it names itself, which a customer policy cannot enumerate in advance.',
      );
    }
    return api;
  }

  /**
   * Requests API Gateway rejects itself never reach a handler; these make them follow the same
   * contract (problem+json, 401 for a missing or unknown API key rather than API Gateway's 403,
   * 404 for an unknown route rather than "Missing Authentication Token", 429 when throttled).
   */
  private addGatewayResponses(api: apigw.RestApi): void {
    const problem = (status: number, title: string, detail: string) => ({
      'application/json': JSON.stringify({ type: 'about:blank', title, status, detail }),
    });
    const headers = { 'Content-Type': "'application/problem+json'", 'Cache-Control': "'no-store'" };
    const responses: Array<[string, apigw.ResponseType, number, string, string]> = [
      ['ApiKeyInvalid', apigw.ResponseType.INVALID_API_KEY, 401, 'Unauthorized', 'the x-api-key header is missing or not valid'],
      ['UnknownRoute', apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, 404, 'Not found', 'no such route'],
      ['Throttled', apigw.ResponseType.THROTTLED, 429, 'Too many requests', 'slow down and retry later'],
      ['QuotaExceeded', apigw.ResponseType.QUOTA_EXCEEDED, 429, 'Too many requests', 'the usage plan quota is used up'],
      ['TooLarge', apigw.ResponseType.REQUEST_TOO_LARGE, 413, 'Payload too large', 'the request body is too large'],
    ];
    for (const [id, type, status, title, detail] of responses) {
      api.addGatewayResponse(id, {
        type,
        statusCode: String(status),
        responseHeaders: { ...headers, ...(status === 401 ? { 'WWW-Authenticate': "'Bearer realm=\"paylink\"'" } : {}) },
        templates: problem(status, title, detail),
      });
    }
    for (const [id, type, title] of [
      ['Default4xx', apigw.ResponseType.DEFAULT_4XX, 'Bad request'],
      ['Default5xx', apigw.ResponseType.DEFAULT_5XX, 'Internal Server Error'],
    ] as const) {
      api.addGatewayResponse(id, {
        type,
        responseHeaders: headers,
        // The status varies within these types; messageString is API Gateway's JSON-quoted message.
        templates: { 'application/json': `{"type":"about:blank","title":"${title}","detail":$context.error.messageString}` },
      });
    }
  }

  /**
   * One API key and usage plan per merchant, so a merchant that misbehaves is throttled (and can be
   * cut off) without touching the others. The key value is generated by API Gateway; register its
   * digest for the merchant in the table too, because the handlers check the key as well.
   */
  private addMerchantUsagePlans(merchants: readonly string[]): void {
    for (const entityId of merchants) {
      const key = this.api.addApiKey(`ApiKey-${entityId}`, {
        apiKeyName: `${this.stackName.toLowerCase()}-${entityId}`,
        description: `Paylink API key of merchant ${entityId}`,
      });
      const plan = this.api.addUsagePlan(`UsagePlan-${entityId}`, {
        name: `${this.stackName.toLowerCase()}-${entityId}`,
        description: `Paylink usage plan of merchant ${entityId}`,
        throttle: { rateLimit: 20, burstLimit: 40 },
        quota: { limit: 100_000, period: apigw.Period.MONTH },
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      plan.addApiKey(key);
    }
  }
}

/** Active tracing (and, for the dispatcher, ListStreams) put `Resource: *` in the role's policy. */
function acknowledgeTracingWildcard(fn: PaylinkFunction, reason: string): void {
  acknowledgeNag(fn.role, 'IAM5[Resource::*]', reason);
}
