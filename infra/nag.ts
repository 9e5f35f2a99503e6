/** cdk-nag 3 acknowledgements: each one names the rule, sits on the narrowest construct, and says why. */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Records an AwsSolutions rule (or one finding of it, e.g. `IAM5[Resource::*]`) as reviewed. */
export function acknowledgeNag(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}
