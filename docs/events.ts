/**
 * The event catalogue (docs/events.md), built from the same zod schemas that describe what the
 * dispatcher publishes (shared/domain/link/event-schemas.ts), so the catalogue cannot drift from the
 * code. `npm run events` writes docs/events.md; a test fails when the committed file is stale.
 */
import { z } from 'zod';
import { DETAIL_TYPES, EVENT_SOURCE } from '../shared/domain/link/events.js';
import { EVENT_DETAIL_EXAMPLES, EVENT_DETAIL_SCHEMAS, type DetailType } from '../shared/domain/link/event-schemas.js';

type JsonSchema = {
  type?: string;
  format?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
};

export function detailJsonSchema(detailType: DetailType): Record<string, unknown> {
  return z.toJSONSchema(EVENT_DETAIL_SCHEMAS[detailType], {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
}

interface CatalogueEntry {
  detailType: DetailType;
  when: string[];
  /** The EventBridge envelope around the example detail. */
  envelope: { id: string; time: string };
}

const CATALOGUE: CatalogueEntry[] = [
  {
    detailType: DETAIL_TYPES.linkStatusChanged,
    when: [
      'When a link is created (`previous_status` is `null`), and on every change of its status: the shopper opens it ' +
        '(CREATED → OPENED), a payment attempt starts (→ PAYMENT_IN_PROGRESS) or is refused or aborted (→ OPENED), ' +
        'a payment is authorized (→ PAID), it expires (→ EXPIRED), or the merchant cancels it (→ CANCELLED).',
      'Not when a write leaves the status as it was (a second open of the customer URL, a second attempt in progress, a cancel of a CANCELLED link).',
    ],
    envelope: { id: '6a7e4d1c-0b5f-4c39-8e1a-4f9d3b2c7e60', time: '2026-01-15T10:02:41Z' },
  },
  {
    detailType: DETAIL_TYPES.paymentStatusChanged,
    when: [
      "Whenever a payment's `authorization_status` changes (`previous_authorization_status` is `null` the first time a payment is seen): " +
        'PENDING, UNCERTAIN, CHALLENGE_REQUIRED, AUTHORIZED, REFUSED or ABORTED, as the provider reports it.',
      'Late payments included. A change that also moves the link publishes both this event and `Payment Link Status Changed`, with the same `version`.',
    ],
    envelope: { id: 'c41b8f07-3e2d-4a6c-95f4-7d0e2b9a8c33', time: '2026-01-15T10:02:41Z' },
  },
  {
    detailType: DETAIL_TYPES.latePayment,
    when: [
      'Once, when a payment is authorized for a link that can no longer be paid: already PAID (two tabs), EXPIRED or CANCELLED (a cancel racing a payment). ' +
        'The link does not change; Paylink voids the payment at the provider, or refunds it when it was already captured (`settlement`).',
      'Published together with the `Payment Status Changed` of that payment, with the same `version`.',
    ],
    envelope: { id: '0f93c2ad-7b14-4e58-a2d9-31c5e8f4b7a1', time: '2026-01-15T10:05:12Z' },
  },
  {
    detailType: DETAIL_TYPES.notificationSent,
    when: [
      'For every send of the link to the customer, by email (SES) or SMS (SNS): the first send (`INITIAL`), each reminder (`REMINDER`) ' +
        'and each resend the merchant asks for (`RESEND`), with its outcome. The address it was sent to is never in the event.',
      'Published once per email or SMS the notifier handles for a link (INITIAL send, scheduled REMINDER, RESEND asked by the merchant): SENT, or SUPPRESSED when the address is on the merchant\'s suppression list after a bounce or complaint. Never carries the address.',
    ],
    envelope: { id: '9d2e6b40-c8a1-4f73-b05e-e7a3c1d9f248', time: '2026-01-15T10:00:03Z' },
  },
  {
    detailType: DETAIL_TYPES.paymentMismatch,
    when: [
      'Once per mismatch, when a signed provider notification (or the provider\'s answer on the shopper\'s return) does not match the link it names: ' +
        'another amount or currency, a client session the link never opened, a payment that is not the link\'s, an authorization the provider does not confirm. ' +
        'The link\'s status and payments do not change (the mismatch is recorded on the link item, `payment_mismatches`, so its `version` moves on).',
      'Operational: merchants get no webhook for it. It is counted by the `PaymentMismatches` metric (namespace `Paylink`), whose alarm fires on the first one.',
    ],
    envelope: { id: '5b8c1e94-2d7a-4f06-9a3e-c6f1d8b2e475', time: '2026-01-15T10:03:07Z' },
  },
];

export const EXAMPLE_ACCOUNT = '123456789012';
export const EXAMPLE_REGION = 'eu-west-1';

/** The example of `detailType` as a subscriber receives it: the EventBridge envelope and its detail. */
export function exampleEvent(detailType: DetailType): Record<string, unknown> {
  const entry = CATALOGUE.find((e) => e.detailType === detailType);
  if (!entry) throw new Error(`no catalogue entry for ${detailType}`);
  return {
    version: '0',
    id: entry.envelope.id,
    'detail-type': detailType,
    source: EVENT_SOURCE,
    account: EXAMPLE_ACCOUNT,
    time: entry.envelope.time,
    region: EXAMPLE_REGION,
    resources: [],
    detail: EVENT_DETAIL_EXAMPLES[detailType],
  };
}

/** The pattern of the example rule in infra/constructs/event-bus.ts (PaidLinksExample). */
export const PAID_LINKS_PATTERN = {
  source: [EVENT_SOURCE],
  'detail-type': [DETAIL_TYPES.linkStatusChanged],
  detail: { status: ['PAID'] },
};

const json = (value: unknown) => ['```json', JSON.stringify(value, null, 2), '```'].join('\n');
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const anchor = (title: string) => '#' + title.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');

function typeOf(s: JsonSchema): string {
  if (s.anyOf) return s.anyOf.map(typeOf).join(' | ');
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' | ');
  if (s.type === 'null') return '`null`';
  return s.format ? `${s.type} (${s.format})` : String(s.type);
}

function fieldTable(schema: JsonSchema): string {
  const rows = Object.entries(schema.properties ?? {}).map(
    ([name, s]) => `| \`${name}\` | ${cell(typeOf(s))} | ${cell(s.description ?? '')} |`,
  );
  return ['| field | type | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

function section(entry: CatalogueEntry): string {
  const schema = detailJsonSchema(entry.detailType);
  return [
    `## ${entry.detailType}`,
    '',
    `source \`${EVENT_SOURCE}\`, detail-type \`${entry.detailType}\``,
    '',
    ...entry.when.flatMap((p) => [p, '']),
    fieldTable(schema as JsonSchema),
    '',
    'JSON Schema of `detail`:',
    '',
    json(schema),
    '',
    'Example event, as a rule target receives it:',
    '',
    json(exampleEvent(entry.detailType)),
    '',
  ].join('\n');
}

export function buildEventsMarkdown(): string {
  const summary = CATALOGUE.map(
    (e) => `| [\`${e.detailType}\`](${anchor(e.detailType)}) | ${cell(String((detailJsonSchema(e.detailType) as JsonSchema).description ?? ''))} |`,
  );
  return [
    '# Paylink events',
    '',
    '<!-- Generated by `npm run events` (docs/generate-events.ts) from shared/domain/link/event-schemas.ts: do not edit by hand. -->',
    '',
    `Every change of a payment link is published on the deployment's EventBridge bus (a custom bus named after the stack, in lower case) ` +
      `with source \`${EVENT_SOURCE}\`. Internal services subscribe with a rule on that bus instead of polling the API. ` +
      "An event's `detail` carries ids, statuses and the link's `version`, and never personal data (no email, phone number, name or address): " +
      'read the link through the API when you need more.',
    '',
    'The schemas below are generated from the ones the dispatcher is tested against; every `detail` is a closed object ' +
      '(`additionalProperties: false`), and a new field is a change of this catalogue.',
    '',
    '| detail-type | published |',
    '| --- | --- |',
    ...summary,
    '',
    '## Consuming the events',
    '',
    '- **Deduplicate on `detail.event_id`.** EventBridge delivers at least once, and the dispatcher publishes again when it retries a change ' +
      '(it is driven by the table\'s stream, so a crash loses nothing but may repeat). `detail.event_id` is deterministic ' +
      '(`<payment_link_id>:<version>:<kind>`, from the link id and the version the change produced): a repeat carries the same `detail.event_id`. ' +
      "The envelope's own `id` is assigned by EventBridge on each publication, so it is not a deduplication key.",
    '- **Order by `detail.version`.** Events can arrive out of order. Per `payment_link_id`, `version` grows by one with every write of the link; ' +
      'keep the highest version you applied and ignore a status older than that. Events from one write (a status change and a payment ' +
      'status change) share the same version.',
    '- **Replay from the archive.** Every event with source `paylink` is archived for 90 days. After fixing a subscriber, replay a time ' +
      'window into its rule (`aws events start-replay --replay-name <name> --event-source-arn <archive arn> --destination Arn=<bus arn>,FilterArns=<rule arn> ' +
      '--event-start-time … --event-end-time …`). Replayed events keep their `detail`, so deduplication on `detail.event_id` makes a replay safe.',
    '- **Example rule.** The stack deploys one rule to copy (`PaidLinksExample` in `infra/constructs/event-bus.ts`): links that became PAID, ' +
      'written to the log group `/aws/events/<stack>/paid-links`. Its pattern:',
    '',
    json(PAID_LINKS_PATTERN),
    '',
    '- **In the sandbox** (`npm start`), `GET /sandbox/events` lists what was published, `detail` included.',
    '',
    ...CATALOGUE.map(section),
  ].join('\n');
}
