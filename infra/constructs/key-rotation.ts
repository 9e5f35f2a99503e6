/**
 * The redirection keys are kept by the rotator Lambda (the manifest's scheduled function with the
 * redirectionKeys port): a deployment trigger creates the first key (the secret starts empty), a
 * schedule rotates. Rotating prepends a key and keeps the previous one, so tokens already handed to
 * shoppers still verify against the JWKS.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as triggers from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import { functionsTriggeredBy } from '../../shared/app/functions.js';
import type { RotationAction } from '../../shared/domain/auth/key-rotation.js';
import { acknowledgeNag } from '../nag.js';
import type { PaylinkFunction } from '../paylink-function.js';
import { Concern } from './concern.js';
import type { FunctionAccess } from './function-access.js';

export interface KeyRotationProps {
  access: FunctionAccess;
  /** The secret the rotator keeps (Data's redirection signing keys). */
  keys: secretsmanager.Secret;
}

export class KeyRotation extends Concern {
  readonly rotator: PaylinkFunction;

  constructor(scope: Construct, id: string, props: KeyRotationProps) {
    super(scope, id);
    const entries = functionsTriggeredBy('schedule').filter((entry) => entry.spec.ports.includes('redirectionKeys'));
    if (entries.length !== 1) throw new Error(`the redirection keys must be kept by exactly one scheduled manifest function, not ${entries.length}`);
    const entry = entries[0]!;
    const { everyDays, atDeployment } = entry.trigger;
    this.rotator = props.access.addFunction(this, entry);

    if (atDeployment) {
      // A Trigger invokes its handler with no payload (the custom resource sends none): the rotator
      // reads a missing action as `ensure`, which creates a key only when there is none. It runs on
      // creation and whenever the rotator's configuration changes (a new secret ARN among them); it
      // cannot run at every deployment without making the template change at every synth.
      new triggers.Trigger(this, 'EnsureRedirectionKey', {
        handler: this.rotator.fn,
        executeAfter: [props.keys, this.rotator.role],
        invocationType: triggers.InvocationType.REQUEST_RESPONSE,
        timeout: Duration.minutes(2),
      });
    }

    const rotate: RotationAction = 'rotate';
    new events.Rule(this, 'RotateRedirectionKeys', {
      description: 'Rotates the Paylink redirection signing key (new key signs, previous one still verifies)',
      schedule: events.Schedule.rate(Duration.days(everyDays)),
      targets: [new targets.LambdaFunction(this.rotator.fn, { event: events.RuleTargetInput.fromObject({ action: rotate }) })],
    });

    acknowledgeNag(
      props.keys,
      'SMG4',
      `Rotated by the ${entry.name} Lambda on a ${everyDays}-day EventBridge schedule${atDeployment ? ' (and ensured at deployment by a trigger)' : ''}, ` +
        'not by the Secrets Manager rotation protocol: a new JWK is prepended and the previous one kept so ' +
        'that tokens it signed still verify, which the four-step rotation protocol does not model.',
    );
  }
}
