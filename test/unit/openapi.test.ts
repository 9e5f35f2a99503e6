import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOpenApi } from '../../docs/openapi.js';
import { ROUTES } from '../../shared/app/functions.js';

const committed = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));

describe('docs/openapi.json', () => {
  it('is what the schemas generate (run `npm run openapi` after changing a schema)', () => {
    expect(committed).toEqual(buildOpenApi());
  });

  it('documents every route the API serves', () => {
    for (const route of ROUTES) {
      expect(committed.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    }
  });

  it('carries the request rules: required fields and no unknown fields', () => {
    const create = committed.components.schemas.CreatePaymentLinkRequest;
    expect([...create.required].sort()).toEqual(['amount', 'currency', 'entity_id', 'order', 'shopper_redirection_url']);
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.amount).toMatchObject({ type: 'integer', minimum: 0 });
    expect(create.properties.order.required).toEqual(['reference']);
  });
});
