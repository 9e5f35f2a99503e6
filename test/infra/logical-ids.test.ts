/**
 * The concerns (infra/constructs/concern.ts) group resources without renaming them: every resource of
 * the stack as it was deployed before it was split into concerns keeps its logical id, since a new
 * logical id is a replacement (an empty table, lost messages, a new API URL, a second event source
 * mapping Lambda refuses). deployed-logical-ids.json lists them (with merchants, a custom domain and
 * an SMS sender id, and without); only the ids that carry a content hash (Lambda versions, the API
 * deployment) are left out. Removing or renaming a resource on purpose means editing that list.
 */
import { describe, expect, it } from 'vitest';
import deployed from './deployed-logical-ids.json' with { type: 'json' };
import { build, templateOf } from './support.js';

describe('logical ids', () => {
  it('keeps the logical id of every deployed resource', () => {
    const ids = new Set<string>();
    for (const context of [
      {},
      {
        merchants: ['m1'],
        publicApiBaseUrl: 'https://pay.example.com',
        notificationDomain: 'pay.example.org',
        notificationFromAddress: 'Paylink <links@pay.example.org>',
        smsSenderId: 'Paylink',
      },
    ]) {
      for (const id of Object.keys(templateOf(build(context).stack).resources)) ids.add(id);
    }
    expect(deployed.length).toBeGreaterThan(150);
    expect(deployed.filter((id) => !ids.has(id))).toEqual([]);
  });
});
