/** CDK entry point (cdk.json: `npx tsx infra/app.ts`). The CLI's CDK_OUTDIR makes the app synthesise on exit. */
import { buildApp } from './build-app.js';

buildApp();
