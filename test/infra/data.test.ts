/** The data (infra/constructs/data.ts): the single table with its key schema and indexes, and the secrets. */
import { describe, expect, it } from 'vitest';
import { TABLE_KEYS } from '../../shared/adapters/dynamodb.js';
import { idOf, ofType, propsOf, synthesised, type CfnResource, type Json } from './support.js';

describe('table', () => {
  it('has the key schema, the three list indexes, the stream, PITR, TTL and deletion protection', () => {
    const { template, resources } = synthesised();
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_KEYS.partition, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sort, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttl, Enabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true },
    });
    const [[, table]] = ofType(resources, 'AWS::DynamoDB::Table') as [[string, CfnResource]];
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    const indexes = table.Properties?.GlobalSecondaryIndexes as Json[];
    const expected = [TABLE_KEYS.byEntity, TABLE_KEYS.byEntityStatus, TABLE_KEYS.byEntityOrder].map((i) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.partition, KeyType: 'HASH' },
        { AttributeName: i.sort, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    }));
    expect(indexes).toHaveLength(3);
    expect(indexes).toEqual(expect.arrayContaining(expected));
  });
});

describe('secrets', () => {
  it('generates the token keys and starts the redirection keys and provider configuration as empty placeholders', () => {
    const { resources, stack } = synthesised();
    expect(ofType(resources, 'AWS::SecretsManager::Secret')).toHaveLength(3);

    const tokenKeys = propsOf(resources, idOf(stack.tokenSigningKeys));
    expect(tokenKeys.SecretString).toBeUndefined();
    expect(tokenKeys.GenerateSecretString).toEqual({
      SecretStringTemplate: JSON.stringify({ kid: 'k1' }),
      GenerateStringKey: 'secret',
      PasswordLength: 64,
      ExcludePunctuation: true,
    });

    // Secrets Manager cannot generate EC keys: an empty list that the rotator fills.
    const redirection = propsOf(resources, idOf(stack.redirectionSigningKeys));
    expect(redirection.GenerateSecretString).toBeUndefined();
    expect(redirection.SecretString).toBe('[]');

    const providers = propsOf(resources, idOf(stack.providerConfig));
    expect(providers.GenerateSecretString).toBeUndefined();
    expect(JSON.parse(providers.SecretString as string)).toEqual({ providers: [] });
  });

  it('puts no key material, provider credential or secret reference anywhere in the template', () => {
    const text = JSON.stringify(synthesised().template.toJSON());
    // A private JWK has "d"; a public or private one has "kty"; provider webhook secrets start whsec_.
    for (const pattern of [/\\"d\\"\s*:/, /\\"kty\\"/, /whsec_/, /PRIVATE KEY/, /resolve:secretsmanager/]) {
      expect(text).not.toMatch(pattern);
    }
  });
});
