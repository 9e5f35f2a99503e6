/**
 * The REST API in front: one method per route of the manifest (shared/app/functions.ts ROUTES), each
 * a Lambda proxy integration to that route's own function, keyed per merchant (API key and usage
 * plan) on the merchant routes, public on the shopper, provider and JWKS routes; stage v1 with
 * access logs, tracing and throttling; API Gateway's own rejections shaped like the handlers' errors.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { FUNCTIONS, ROUTES, type FunctionName } from '../../shared/app/functions.js';
import { acknowledgeNag } from '../nag.js';
import type { PaylinkFunction } from '../paylink-function.js';
import { Concern } from './concern.js';
import type { FunctionAccess } from './function-access.js';

/** The stage name is part of every URL handed to merchants and shoppers: keep it stable. */
export const API_STAGE = 'v1';

export interface ApiProps {
  access: FunctionAccess;
  /** Entity ids of the merchants that get an API key and a usage plan. */
  merchants: readonly string[];
}

export class Api extends Concern {
  readonly restApi: apigw.RestApi;
  /** One function per route, keyed by its manifest name. */
  readonly functions: ReadonlyMap<FunctionName, PaylinkFunction>;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const api = new apigw.RestApi(this, 'Api', {
      restApiName: `${stack.stackName.toLowerCase()}-api`,
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
    this.restApi = api;
    // For the functions behind no route (function-access.ts): what the route functions derive from a request.
    props.access.provide({ stageUrl: `https://${api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${api.deploymentStage.stageName}` });

    // Lambda proxy integrations: the handler's status, headers and body go to the caller as they are,
    // so the shopper pages' text/html, a 303 Location and the JWKS cache header need nothing here.
    // No binaryMediaTypes: bodies stay text, so the webhook receiver verifies the bytes it was sent.
    // Each route's function is the manifest entry it triggers (one route per function).
    const functions = new Map<FunctionName, PaylinkFunction>();
    for (const route of ROUTES) {
      const fn = props.access.addFunction(this, { name: route.fn, spec: FUNCTIONS[route.fn] });
      functions.set(route.fn, fn);
      api.root.resourceForPath(route.path).addMethod(route.method, new apigw.LambdaIntegration(fn.fn, { allowTestInvoke: false }), {
        apiKeyRequired: route.apiKeyRequired,
      });
    }
    this.functions = functions;

    this.addGatewayResponses(api);
    this.addMerchantUsagePlans(props.merchants);

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
      'Merchant routes take a per-merchant API key (required by API Gateway) plus a Bearer access token (HS256 JWT ' +
        'from POST /oauth/token) verified in the Lambda; POST /oauth/token takes client credentials. The public routes ' +
        'are public by design: the JWKS holds public keys, the shopper pages are reached by an unguessable link id ' +
        'from the customer URL, and provider webhooks are authenticated by the provider signature over the body.',
    );
    acknowledgeNag(
      api,
      'COG4',
      'Merchants are machine clients using OAuth client credentials issued by Paylink, not Cognito user-pool ' +
        'users; the token is verified in the Lambda, and the API key is required by API Gateway. Shoppers and ' +
        'payment providers have no accounts: their routes are authorised by the link id and by the provider signature.',
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
      const key = this.restApi.addApiKey(`ApiKey-${entityId}`, {
        apiKeyName: `${Stack.of(this).stackName.toLowerCase()}-${entityId}`,
        description: `Paylink API key of merchant ${entityId}`,
      });
      const plan = this.restApi.addUsagePlan(`UsagePlan-${entityId}`, {
        name: `${Stack.of(this).stackName.toLowerCase()}-${entityId}`,
        description: `Paylink usage plan of merchant ${entityId}`,
        throttle: { rateLimit: 20, burstLimit: 40 },
        quota: { limit: 100_000, period: apigw.Period.MONTH },
        apiStages: [{ api: this.restApi, stage: this.restApi.deploymentStage }],
      });
      plan.addApiKey(key);
    }
  }
}
