/** The REST API (infra/constructs/api.ts): one proxy method per route, stage, usage plans, gateway responses. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp, parseMerchants } from '../../infra/build-app.js';
import { ROUTES } from '../../shared/app/functions.js';
import { NO_BUNDLING, build, logicalId, ofType, synthesised, type CfnResource, type Json } from './support.js';

describe('api', () => {
  /** Full path of each AWS::ApiGateway::Resource, from the PathPart/ParentId chain. */
  function resourcePaths(resources: Record<string, CfnResource>): Map<string, string> {
    const paths = new Map<string, string>();
    const pathOf = (id: string): string => {
      const known = paths.get(id);
      if (known) return known;
      const r = resources[id]!;
      const parent = r.Properties?.ParentId as { Ref?: string };
      const full = `${parent.Ref ? pathOf(parent.Ref) : ''}/${String(r.Properties?.PathPart)}`;
      paths.set(id, full);
      return full;
    };
    for (const [id] of ofType(resources, 'AWS::ApiGateway::Resource')) pathOf(id);
    return paths;
  }

  it('has exactly one proxy method per route, with the route method, path, function and API-key requirement', () => {
    const { resources, stack } = synthesised();
    const paths = resourcePaths(resources);
    const methods = ofType(resources, 'AWS::ApiGateway::Method').map(([, m]) => {
      const p = m.Properties!;
      return {
        method: p.HttpMethod,
        path: paths.get((p.ResourceId as { Ref: string }).Ref),
        apiKeyRequired: p.ApiKeyRequired,
        integration: p.Integration as { Type: string; Uri: unknown },
      };
    });
    expect(methods.map(({ method, path, apiKeyRequired }) => ({ method, path, apiKeyRequired }))).toEqual(
      expect.arrayContaining(ROUTES.map((r) => ({ method: r.method, path: r.path, apiKeyRequired: r.apiKeyRequired }))),
    );
    expect(methods).toHaveLength(ROUTES.length);
    for (const route of ROUTES) {
      const m = methods.find((x) => x.method === route.method && x.path === route.path)!;
      expect(m.integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(m.integration.Uri)).toContain(`"${logicalId(stack.apiFunctions.get(route.fn)!)}"`);
    }
  });

  it('serves the public shopper, provider and JWKS routes without an API key, through proxy integrations', () => {
    const { resources, stack } = synthesised();
    const paths = resourcePaths(resources);
    const publicRoutes = [
      ['GET', '/payment/v2/jwks', 'jwks'],
      ['GET', '/payment-links/{id}', 'customer-page'],
      ['GET', '/payment-links/{id}/return', 'shopper-return'],
      ['POST', '/webhooks/{provider}', 'provider-webhook-receiver'],
    ] as const;
    for (const [method, path, fn] of publicRoutes) {
      expect(ROUTES).toContainEqual({ kind: 'route', method, path, fn, apiKeyRequired: false });
      const found = ofType(resources, 'AWS::ApiGateway::Method').filter(
        ([, m]) => m.Properties?.HttpMethod === method && paths.get((m.Properties.ResourceId as { Ref: string }).Ref) === path,
      );
      expect(found, `${method} ${path}`).toHaveLength(1);
      const p = found[0]![1].Properties!;
      expect(p.ApiKeyRequired).toBe(false);
      expect(p.AuthorizationType).toBe('NONE');
      // Proxy: status, headers (text/html, Location) and body come from the handler untouched.
      const integration = p.Integration as Json;
      expect(integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      expect(integration.RequestTemplates).toBeUndefined();
      expect(integration.IntegrationResponses).toBeUndefined();
      expect(integration.ContentHandling).toBeUndefined();
      expect(JSON.stringify(integration.Uri)).toContain(`"${logicalId(stack.fn(fn))}"`);
    }
    // No binary media types: request bodies reach the webhook receiver as the text that was signed.
    expect(ofType(resources, 'AWS::ApiGateway::RestApi')[0]![1].Properties?.BinaryMediaTypes).toBeUndefined();
  });

  it('serves the merchant webhook routes only with an API key, through proxy integrations to their own functions', () => {
    const { resources, stack } = synthesised();
    const paths = resourcePaths(resources);
    const webhookRoutes = [
      ['GET', '/payment/v2/payment-links/{id}/webhook-deliveries', 'list-webhook-deliveries'],
      ['POST', '/payment/v2/webhook-deliveries/{event_id}/retry', 'retry-webhook-delivery'],
      ['POST', '/payment/v2/webhook-secrets/rotate', 'rotate-webhook-secret'],
    ] as const;
    for (const [method, path, fn] of webhookRoutes) {
      expect(ROUTES).toContainEqual({ kind: 'route', method, path, fn, apiKeyRequired: true });
      const found = ofType(resources, 'AWS::ApiGateway::Method').filter(
        ([, m]) => m.Properties?.HttpMethod === method && paths.get((m.Properties.ResourceId as { Ref: string }).Ref) === path,
      );
      expect(found, `${method} ${path}`).toHaveLength(1);
      const p = found[0]![1].Properties!;
      expect(p.ApiKeyRequired).toBe(true);
      expect(p.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      expect(JSON.stringify((p.Integration as Json).Uri)).toContain(`"${logicalId(stack.fn(fn))}"`);
    }
    // Three functions of their own, none shared with another route.
    const fns = webhookRoutes.map(([, , fn]) => fn);
    expect(new Set(fns).size).toBe(3);
    for (const fn of fns) expect(ROUTES.filter((r) => r.fn === fn)).toHaveLength(1);
  });

  it('serves the resend route only with an API key, through a proxy integration to its own function', () => {
    const { resources, stack } = synthesised();
    const paths = resourcePaths(resources);
    const route = { kind: 'route', method: 'POST', path: '/payment/v2/payment-links/{id}/notifications', fn: 'resend-notification', apiKeyRequired: true } as const;
    expect(ROUTES).toContainEqual(route);
    expect(ROUTES.filter((r) => r.fn === route.fn)).toHaveLength(1);
    const found = ofType(resources, 'AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties?.HttpMethod === route.method && paths.get((m.Properties.ResourceId as { Ref: string }).Ref) === route.path,
    );
    expect(found).toHaveLength(1);
    const p = found[0]![1].Properties!;
    expect(p.ApiKeyRequired).toBe(true);
    expect(p.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
    expect(JSON.stringify((p.Integration as Json).Uri)).toContain(`"${logicalId(stack.fn(route.fn))}"`);
  });

  it('serves stage v1 with access logs, tracing, throttling and header API keys', () => {
    const { template, resources } = synthesised();
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'HEADER' });
    template.resourceCountIs('AWS::ApiGateway::Stage', 1);
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0] as CfnResource;
    expect(stage.Properties).toMatchObject({ StageName: 'v1', TracingEnabled: true });
    const accessLogs = (stage.Properties?.AccessLogSetting as { DestinationArn: { 'Fn::GetAtt': [string, string] } }).DestinationArn;
    expect(resources[accessLogs['Fn::GetAtt'][0]]?.Type).toBe('AWS::Logs::LogGroup');
    const settings = stage.Properties?.MethodSettings as Json[];
    expect(settings).toEqual([expect.objectContaining({ ThrottlingRateLimit: expect.any(Number), ThrottlingBurstLimit: expect.any(Number), DataTraceEnabled: false })]);
    const outputs = template.toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'EventBusName',
        'TableName',
        'ProviderConfigSecretArn',
        'RedirectionKeyRotatorName',
        'NotificationSenderIdentity',
        'SesConfigurationSetName',
        'LinkWorkflowStateMachineArn',
      ]),
    );
  });

  it('creates no usage plan without merchants and one key and plan per merchant from context', () => {
    synthesised().template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    synthesised().template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);

    const template = Template.fromStack(build({ merchants: ['m1', 'm2'] }).stack);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 2);
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 2);
    const stageId = Object.keys(template.findResources('AWS::ApiGateway::Stage'))[0]!;
    for (const plan of Object.values(template.findResources('AWS::ApiGateway::UsagePlan')) as CfnResource[]) {
      expect(plan.Properties).toMatchObject({
        ApiStages: [{ Stage: { Ref: stageId } }],
        Throttle: { RateLimit: expect.any(Number), BurstLimit: expect.any(Number) },
        Quota: { Limit: expect.any(Number), Period: expect.any(String) },
      });
    }
  });

  it('reads merchants from a JSON or comma-separated CLI string and rejects unsafe ids', () => {
    expect(parseMerchants(undefined)).toEqual([]);
    expect(parseMerchants('["m1","m2"]')).toEqual(['m1', 'm2']);
    expect(parseMerchants('m1, m2')).toEqual(['m1', 'm2']);
    expect(() => parseMerchants(['m/1'])).toThrow(/merchants/);
    expect(() => parseMerchants(['m1', 'm1'])).toThrow(/twice/);
  });
});

describe('gateway responses', () => {
  const { stack } = buildApp(NO_BUNDLING);
  const template = Template.fromStack(stack);

  it.each([
    ['INVALID_API_KEY', '401'],
    ['MISSING_AUTHENTICATION_TOKEN', '404'],
    ['THROTTLED', '429'],
    ['QUOTA_EXCEEDED', '429'],
    ['REQUEST_TOO_LARGE', '413'],
  ])('map %s to %s problem+json, like the handlers', (type, status) => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: type,
      StatusCode: status,
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Content-Type': "'application/problem+json'" }),
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp(`"status":${status}`) },
    });
  });

  it('give the default 4xx and 5xx responses the problem+json content type', () => {
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Content-Type': "'application/problem+json'" }),
      });
    }
  });
});
