/**
 * One Paylink Lambda: `functions/<name>/index.ts` bundled with the local esbuild (there is no Docker
 * daemon on build machines), its own log group with a retention, and its own role that starts with
 * nothing but "write to that log group". Callers add exactly the statements the function needs.
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag.js';

/** The repository root, whatever the current directory of `cdk synth` or vitest. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** esbuild emits ESM; some dependencies still call `require`, which ESM lacks. */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export interface PaylinkFunctionProps {
  /** Folder under functions/ (a route's `fn`, or one of the functions behind no route). */
  fn: string;
  environment: Record<string, string>;
  timeout?: Duration;
  memorySize?: number;
  logRetention?: logs.RetentionDays;
}

export class PaylinkFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PaylinkFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // A role of our own instead of AWSLambdaBasicExecutionRole: that managed policy may create log
    // groups and write to any of them; this one may only write to the function's own log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Paylink ${props.fn} Lambda`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: fileURLToPath(new URL(`../functions/${props.fn}/index.ts`, import.meta.url)),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: fileURLToPath(new URL('../package-lock.json', import.meta.url)),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
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
