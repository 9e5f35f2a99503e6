/** Live ports that are configuration or pure code: public URLs, the URL policy, the message renderer, HTTPS out. */
import { NodeWebhookHttp } from '../../adapters/webhook-http.js';
import type { PublicUrls } from '../../domain/link/model.js';
import { messageRenderer } from '../../domain/notifications/messages.js';
import type { UrlPolicy } from '../../domain/url-policy.js';
import type { ApiEvent } from '../../http/api.js';
import { randomIds } from '../ambient.js';
import { ENV, optionalEnv } from '../env.js';

/** Base URLs from the request when no custom domain is configured: https://{domain}/{stage}. */
export function urlsFromRequest(event: ApiEvent | undefined, configured: { api?: string | undefined; pay?: string | undefined }): PublicUrls {
  const fromRequest = event?.requestContext?.domainName
    ? `https://${event.requestContext.domainName}${event.requestContext.stage && !configured.api ? `/${event.requestContext.stage}` : ''}`
    : undefined;
  const api = configured.api ?? fromRequest;
  if (!api) throw new Error(`no public API base URL: set ${ENV.publicApiBaseUrl}`);
  return { apiBaseUrl: api, payBaseUrl: configured.pay ?? api };
}

export const urls = () => {
  const configured = { api: optionalEnv(ENV.publicApiBaseUrl), pay: optionalEnv(ENV.payBaseUrl) };
  return (event?: ApiEvent) => urlsFromRequest(event, configured);
};

export const urlPolicy = (): UrlPolicy => (optionalEnv(ENV.urlPolicy) === 'sandbox' ? 'sandbox' : 'production');

export const renderer = () => messageRenderer;

export const ids = () => randomIds;

/** HTTPS to merchants' endpoints, behind the SSRF guard of the URL policy. */
export const webhookHttp = () => new NodeWebhookHttp({ urlPolicy: urlPolicy() });
