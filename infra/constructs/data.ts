/**
 * The data: the single table every link lives in (its key schema below), and the secrets the
 * functions read at run time. Both outlive any deployment: the table is retained and protected
 * from deletion, and CloudFormation never rewrites a secret value it did not change.
 */
import { RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { TABLE_KEYS } from '../../shared/adapters/dynamodb.js';
import { acknowledgeNag } from '../nag.js';
import { Concern } from './concern.js';
import type { FunctionAccess } from './function-access.js';

export class Data extends Concern {
  readonly table: dynamodb.Table;
  readonly tokenSigningKeys: secretsmanager.Secret;
  readonly redirectionSigningKeys: secretsmanager.Secret;
  readonly providerConfig: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: { access: FunctionAccess }) {
    super(scope, id);

    // ── The single table ─────────────────────────────────────────────────────────────────────
    // Base table: PK/SK, one item per thing, addressed directly (never scanned):
    //   LINK#<id>          / LINK         the payment link (status, version, amounts, urls, payments…)
    //   MERCHANT#<entity>  / PROFILE      a merchant's settings
    //   CLIENT#<client id> / CLIENT       an OAuth client, secret stored hashed
    //   APIKEY#<digest>    / APIKEY       an API key's owner, key stored as a digest
    //   IDEMPOTENCY#<key>  / IDEMPOTENCY  a replayable response, deleted by TTL
    //   LINK#<id>          / DELIVERY#<event id>  a merchant webhook and its attempts, in its link's
    //                                     partition so the delivery log is one base-table Query
    //   WEBHOOK_EVENT#<event id> / EVENT  which link (and merchant) an event id belongs to (replay)
    //   MERCHANT#<entity>  / WEBHOOK_SECRETS  the merchant's webhook signing secrets
    //   MERCHANT#<entity>  / SUPPRESSED#<sha256 of the address>  an address that bounced or complained:
    //                                     no more email to it for this merchant's links
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

    // ── Secrets ──────────────────────────────────────────────────────────────────────────────
    // The Lambdas get ARNs only and read values at run time (shared/app/live/secrets.ts), so no
    // value lands in configuration, in a template or in the repository.

    // Access-token signing keys, generated at deploy time. The shape is what parseSigningKeys
    // accepts: {kid, secret}, or a list of them while rotating.
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
        'then keys are rotated by hand by putting such a list (docs/runbook.md).',
    );

    // Redirection signing keys: private P-256 JWKs, newest first (the first signs
    // purse-redirection-data tokens, all are published at GET /payment/v2/jwks). Secrets Manager
    // cannot generate EC keys, so the secret starts as an empty list and the key rotator
    // (key-rotation.ts) writes the real keys.
    //
    // unsafePlainText is safe here: `[]` (and `{"providers":[]}` below) is a placeholder, not a
    // secret, and the template stays free of key material. CloudFormation writes SecretString only
    // when the template's value changes, so the keys the rotator (or the operator, for providers)
    // puts later survive every deployment. Never edit these placeholders on a deployed stack: that
    // one deployment would overwrite the live value.
    this.redirectionSigningKeys = new secretsmanager.Secret(this, 'RedirectionSigningKeys', {
      description: 'Paylink redirection-token signing keys: a list of private P-256 JWKs, newest first (written by the key rotator)',
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify([])),
    });
    // Its SMG4 finding (no Secrets Manager rotation) is acknowledged by KeyRotation, which rotates it.

    // Payment providers: {"providers":[{"name","base_url","api_key","webhook_secret"}]}, the first
    // one opening new client sessions (providersFromConfig). Filled in by the operator
    // (docs/runbook.md); until then no provider is configured and the customer URL cannot open one.
    this.providerConfig = new secretsmanager.Secret(this, 'ProviderConfig', {
      description: 'Paylink payment providers: {"providers":[{"name","base_url","api_key","webhook_secret"}]} (put by the operator)',
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ providers: [] })),
    });
    acknowledgeNag(
      this.providerConfig,
      'SMG4',
      'Holds credentials issued by the payment providers (API key, webhook signing secret): they are rotated at ' +
        'the provider and then put here by the operator (docs/runbook.md); Secrets Manager cannot rotate them.',
    );

    props.access.provide({
      table: this.table,
      tokenSigningKeys: this.tokenSigningKeys,
      redirectionSigningKeys: this.redirectionSigningKeys,
      providerConfig: this.providerConfig,
    });
  }
}
