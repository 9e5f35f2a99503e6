/**
 * One Paylink Lambda: `functions/<name>/index.ts` bundled with the local esbuild (there is no Docker
 * daemon on build machines; the options are infra/bundling.ts's), its own log group with a
 * retention, and its own role that starts with nothing but "write to that log group". Callers add
 * exactly the statements the function needs (infra/constructs/function-access.ts).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BUNDLE_MAIN_FIELDS, BUNDLE_TARGET, ESM_REQUIRE_BANNER, PROJECT_ROOT, functionEntry } from './bundling.js';
import { acknowledgeNag } from './nag.js';
import { DEFAULT_TIMEOUT_SECONDS } from '../shared/app/functions.js';

/** What a function gets when its manifest entry sets no timeoutSeconds (defined there) or memoryMb. */
export { DEFAULT_TIMEOUT_SECONDS };
export const DEFAULT_MEMORY_MB = 512;

export interface PaylinkFunctionProps {
  /** Its name in the manifest (shared/app/functions.ts): its folder under functions/. */
  name: string;
  environment: Record<string, string>;
  timeoutSeconds?: number;
  memoryMb?: number;
  logRetention?: logs.RetentionDays;
}

export class PaylinkFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PaylinkFunctionProps) {
    super(scope, id);

    const entry = functionEntry(props.name);
    if (!existsSync(entry)) {
      throw new Error(`function ${props.name} is in the manifest (shared/app/functions.ts) but has no entry: ${entry} is missing`);
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // A role of our own instead of AWSLambdaBasicExecutionRole: that managed policy may create log
    // groups and write to any of them; this one may only write to the function's own log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Paylink ${props.name} Lambda`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: fileURLToPath(new URL('../package-lock.json', import.meta.url)),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMb ?? DEFAULT_MEMORY_MB,
      timeout: Duration.seconds(props.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: BUNDLE_TARGET,
        mainFields: BUNDLE_MAIN_FIELDS,
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        // Ship the SDK versions the tests ran against, not whatever the runtime happens to carry.
        bundleAwsSDK: true,
      },
    });
    acknowledgeNag(
      this.fn,
      'L1',
      'Pinned to nodejs22.x on purpose: the runtime the code is bundled (target node22) and tested for. ' +
        'Moving to a newer runtime is a deliberate upgrade of runtime and target together, not a side effect of synth.',
    );
  }
}
