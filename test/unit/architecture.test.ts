/**
 * The promises of docs/architecture.md: the layout it describes exists, every function is in the
 * manifest and named nowhere else outside its folder, no runtime import cycle, no source file over
 * 400 lines (the same rules as the team's structure check, kept here so a break fails `npm test`).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../shared/app/functions.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_DIRS = ['shared', 'functions', 'infra', 'sandbox', 'bench', 'docs'];

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) return tsFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}
const sources = SOURCE_DIRS.flatMap(tsFiles);
const text = new Map(sources.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));

describe('docs/architecture.md', () => {
  it('describes folders that exist', () => {
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const folders = [...doc.matchAll(/^\| `([a-z/]+\/)` \|/gm)].map((m) => m[1]!);
    expect(folders.length).toBeGreaterThan(10);
    for (const folder of folders) expect(existsSync(join(ROOT, folder)), folder).toBe(true);
  });

  it('has one manifest entry per functions/ folder, each with its handler and entry', () => {
    expect(readdirSync(join(ROOT, 'functions')).sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const name of FUNCTION_NAMES) {
      expect(existsSync(join(ROOT, 'functions', name, 'handler.ts')), name).toBe(true);
      expect(existsSync(join(ROOT, 'functions', name, 'index.ts')), name).toBe(true);
    }
  });

  it('names each function in exactly one place outside its own folder: the manifest', () => {
    for (const name of FUNCTION_NAMES) {
      const quoted = new RegExp(`['"\`]${name}['"\`]`);
      const places = sources.filter((f) => !f.startsWith(`functions/${name}/`) && f !== 'shared/app/functions.ts' && quoted.test(text.get(f)!));
      expect(places, name).toEqual([]);
    }
  });

  it('has no runtime import cycle', () => {
    const graph = new Map<string, string[]>();
    for (const [file, src] of text) {
      const deps = [...src.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)]
        .filter((m) => !m[1])
        .map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[2]!)).replace(/\.js$/, '.ts'))
        .filter((f) => text.has(f));
      graph.set(file, deps);
    }
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') return void cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      state.set(file, 'open');
      for (const dep of graph.get(file) ?? []) visit(dep, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('has no source file over 400 lines', () => {
    const long = sources.filter((f) => text.get(f)!.split('\n').length > 400);
    expect(long).toEqual([]);
  });
});
