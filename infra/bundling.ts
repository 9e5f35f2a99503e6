/**
 * How a Paylink Lambda is bundled, in one place: PaylinkFunction hands these options to CDK's
 * NodejsFunction (local esbuild, never Docker), and the bundle test and bench/bundle-sizes.ts build
 * the same bundles with esbuild directly to check what each one carries.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

/** The repository root, whatever the current directory of `cdk synth` or vitest. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** esbuild emits ESM; some dependencies still call `require`, which ESM lacks. */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export const BUNDLE_TARGET = 'node22';
export const BUNDLE_MAIN_FIELDS = ['module', 'main'];

/** A function's entry: functions/<name>/index.ts. */
export function functionEntry(name: string): string {
  return fileURLToPath(new URL(`../functions/${name}/index.ts`, import.meta.url));
}

export interface Bundle {
  bytes: number;
  metafile: Metafile;
}

/** Bundles an entry exactly as CDK does (minified ESM, SDK included) into `outfile`. */
export async function bundleEntry(entry: string, outfile: string): Promise<Bundle> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE_TARGET,
    mainFields: BUNDLE_MAIN_FIELDS,
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    metafile: true,
    logLevel: 'silent',
  });
  return { bytes: statSync(outfile).size, metafile: result.metafile };
}

export const bundleFunction = (name: string, outfile: string): Promise<Bundle> => bundleEntry(functionEntry(name), outfile);

/** The @aws-sdk/client-* packages whose code ended up in a bundle. */
export function sdkClientsIn(metafile: Metafile): string[] {
  const clients = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(input);
    if (m) clients.add(m[1]!);
  }
  return [...clients].sort();
}
