/**
 * Every Lambda bundled as CDK bundles it (infra/bundling.ts: esbuild, ESM, minified, node22, SDK
 * included), its size and module load time printed as ratios against a floor built in the same run:
 * a function doing one DocumentClient PutItem. Also lists the AWS SDK clients each bundle carries.
 *
 *   npx tsx bench/bundle-sizes.ts [load runs per function, default 5]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFunction, bundleEntry, sdkClientsIn } from '../infra/bundling.js';
import { FUNCTION_NAMES } from '../shared/app/functions.js';

const RUNS = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'paylink-bundles-'));

/** Median wall time of `import()` of the bundle in a fresh node, top-level awaits included (ms). */
function loadMs(file: string): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const t=performance.now(); await import(${JSON.stringify(file)}).catch(()=>{}); console.log(performance.now()-t)`],
      { env: { ...process.env, AWS_REGION: 'eu-west-1', TABLE_NAME: 'bench', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, encoding: 'utf8' },
    );
    times.push(Number(out.trim().split('\n').pop()));
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const floorSource = fileURLToPath(new URL('./floor-function.ts', import.meta.url));
const floor = await bundleEntry(floorSource, join(dir, 'floor.mjs'));
const floorLoad = loadMs(join(dir, 'floor.mjs'));
console.log(`floor (one DocumentClient PutItem): ${(floor.bytes / 1024).toFixed(0)} KB, load ${floorLoad.toFixed(0)} ms\n`);
console.log(`${'function'.padEnd(28)} ${'KB'.padStart(6)} ${'×size'.padStart(6)} ${'×load'.padStart(6)}  SDK clients`);
for (const name of FUNCTION_NAMES) {
  const out = join(dir, `${name}.mjs`);
  const bundle = await bundleFunction(name, out);
  const load = loadMs(out);
  console.log(
    `${name.padEnd(28)} ${(bundle.bytes / 1024).toFixed(0).padStart(6)} ${(bundle.bytes / floor.bytes).toFixed(2).padStart(6)} ${(load / floorLoad).toFixed(2).padStart(6)}  ${sdkClientsIn(bundle.metafile).join(' ')}`,
  );
}
rmSync(dir, { recursive: true, force: true });
