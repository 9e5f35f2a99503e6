/**
 * The README's promises, checked the way a new user would: `npm start` in a child process, then
 * the README's curl block run verbatim with bash (only the base URL is pointed at the test port).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from '../support/api-client.js';
import { REPO_ROOT, npmStart, type Started } from '../support/npm-start.js';

const run = promisify(execFile);
const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

function roundTripScript(): string {
  const block = readme.split('<!-- round-trip:start -->')[1]?.split('<!-- round-trip:end -->')[0];
  const code = block?.match(/```bash\n([\s\S]*?)```/)?.[1];
  if (!code) throw new Error('README has no round-trip block');
  return code;
}

describe('README', () => {
  it('carries exactly the two commands', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm install && npm test');
    expect(readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8')).toContain('npm install && npm test');
  });
});

describe('npm start', () => {
  let dir: string;
  let sandbox: Started;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'paylink-e2e-'));
    sandbox = await npmStart({ PAYLINK_SANDBOX_DIR: dir });
  });
  afterAll(async () => {
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the base URL and the demo credentials', () => {
    const out = sandbox.output();
    expect(out).toContain(sandbox.url);
    for (const s of ['demo-entity', 'demo-client', 'demo-secret', 'demo-api-key', 'demo-entity-2', 'demo-api-key-2', '/sandbox/events', 'whsec_']) {
      expect(out).toContain(s);
    }
  });

  it('does the README round trip with curl', async () => {
    const script = roundTripScript().replace('PAYLINK=http://localhost:3000', `PAYLINK=${sandbox.url}`);
    expect(script).toContain(`PAYLINK=${sandbox.url}`);
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { timeout: 60_000 });
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    const [created, read, list, cancelled, events] = lines;
    expect(created).toMatchObject({ status: 'CREATED', amount: 4299, currency: 'EUR', entity_id: 'demo-entity' });
    expect(read).toEqual(created);
    expect(list.items.map((l: { id: string }) => l.id)).toContain(created.id);
    expect(cancelled).toMatchObject({ id: created.id, status: 'CANCELLED', version: 2 });
    const statuses = events.events
      .filter((e: { detail: { payment_link_id: string } }) => e.detail.payment_link_id === created.id)
      .map((e: { detail: { status: string } }) => e.detail.status);
    expect(statuses).toEqual(['CREATED', 'CANCELLED']);
  });

  it('keeps data and tokens across a restart, and PAYLINK_SANDBOX_RESET=1 wipes them', async () => {
    const token = await tokenFor(sandbox.url, 'demo-client', 'demo-secret');
    const headers = { 'x-api-key': 'demo-api-key', authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = (await (
      await fetch(`${sandbox.url}/payment/v2/payment-links`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ entity_id: 'demo-entity', amount: 100, currency: 'EUR', shopper_redirection_url: 'http://localhost/x', order: { reference: 'persist' } }),
      })
    ).json()) as { id: string };
    await sandbox.stop(); // Ctrl+C: npm dies of the SIGINT, the sandbox closes its store and exits

    sandbox = await npmStart({ PAYLINK_SANDBOX_DIR: dir });
    const again = await fetch(`${sandbox.url}/payment/v2/payment-links/${created.id}`, { headers });
    expect(again.status).toBe(200);
    await sandbox.stop();

    sandbox = await npmStart({ PAYLINK_SANDBOX_DIR: dir, PAYLINK_SANDBOX_RESET: '1' });
    const token2 = await tokenFor(sandbox.url, 'demo-client', 'demo-secret');
    const gone = await fetch(`${sandbox.url}/payment/v2/payment-links/${created.id}`, {
      headers: { ...headers, authorization: `Bearer ${token2}` },
    });
    expect(gone.status).toBe(404);
    // The old token was signed with the wiped key.
    expect((await fetch(`${sandbox.url}/payment/v2/payment-links`, { headers })).status).toBe(401);
  });
});
