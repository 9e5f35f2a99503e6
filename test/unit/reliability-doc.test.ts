/** docs/reliability.md is a promise: the files it names exist and the numbers it states are the code's. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { functionsTriggeredBy } from '../../shared/app/functions.js';
import { IDEMPOTENCY_WINDOW_MS, LEASE_MARGIN_MS } from '../../shared/domain/idempotency/idempotency.js';
import { RETRY_SCHEDULE_SECONDS } from '../../shared/domain/merchant-webhooks/delivery.js';

const root = new URL('../../', import.meta.url);
const doc = readFileSync(new URL('docs/reliability.md', root), 'utf8').replace(/\s+/g, ' ');

describe('docs/reliability.md', () => {
  it('names only files and folders that exist', () => {
    const paths = [...doc.matchAll(/`((?:test|shared|sandbox|infra|functions|docs)\/[^`*\s]+)`/g)].map((m) => m[1]!);
    const bare = [...doc.matchAll(/`([a-z-]+\.test\.ts)`/g)].map((m) => `test/resilience/${m[1]}`);
    expect(paths.length).toBeGreaterThan(10);
    for (const path of [...paths, ...bare.filter((p) => !paths.some((q) => q.endsWith(p.split('/').pop()!)))]) {
      const found = existsSync(new URL(path, root)) || existsSync(new URL(path.replace('test/resilience/', 'test/integration/'), root));
      expect(found, path).toBe(true);
    }
  });

  it('states the webhook retry schedule, the stream retries, the idempotency window and lease the code uses', () => {
    const human = (s: number) => (s < 60 ? `${s} s` : s < 3600 ? `${s / 60} min` : `${s / 3600} h`);
    expect(doc).toContain(`retried ${RETRY_SCHEDULE_SECONDS.map(human).join(', ')} apart`);
    const [stream] = functionsTriggeredBy('stream');
    expect(doc).toContain(`A record is retried ${stream!.trigger.retryAttempts} times (${stream!.trigger.retryAttempts + 1} attempts)`);
    expect(IDEMPOTENCY_WINDOW_MS).toBe(24 * 3600 * 1000);
    expect(doc).toContain('within 24 h');
    expect(doc).toContain(`(function timeout + ${LEASE_MARGIN_MS / 1000} s)`);
  });
});
