// The installed package has no native code in its default path: walking the runtime dependency
// closure of package.json through package-lock.json (optional and dev packages excluded), no package
// has a binding.gyp / gypfile, a compiled .node addon, or an install script that builds or downloads
// anything. onnxruntime-node (native ONNX runtime) may only be an optional dependency.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
const entries: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; optional?: boolean; dev?: boolean; hasInstallScript?: boolean }> = lock.packages;

/**
 * Install scripts we know to be harmless, with why. protobufjs (under onnxruntime-web): its
 * postinstall only prints a warning when a dependent pins an unexpected version scheme (pure JS,
 * no build, no network).
 */
const KNOWN_SCRIPTS: Record<string, string> = { protobufjs: 'node scripts/postinstall' };

/** npm's lookup: node_modules of the requiring package, then of each ancestor. */
function resolveDep(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const key = (base ? base + '/' : '') + 'node_modules/' + name;
    if (entries[key]) return key;
    if (!base) return undefined;
    const cut = base.lastIndexOf('node_modules/');
    base = cut <= 0 ? '' : base.slice(0, cut - 1);
  }
}

function runtimeClosure(): string[] {
  const seen = new Set<string>();
  const queue: [string, string][] = Object.keys(pkg.dependencies ?? {}).map((d) => ['', d]);
  while (queue.length) {
    const [from, name] = queue.shift()!;
    const key = resolveDep(from, name);
    if (!key) throw new Error(`package-lock.json has no entry for ${name} (required by ${from || 'the package'}): run npm install`);
    if (seen.has(key)) continue;
    seen.add(key);
    for (const d of Object.keys(entries[key].dependencies ?? {})) queue.push([key, d]);
  }
  return [...seen].sort();
}

function hasNodeAddon(dir: string, depth = 0): string | null {
  if (depth > 6 || !existsSync(dir)) return null;
  for (const f of readdirSync(dir)) {
    if (f === 'node_modules') continue;
    const p = join(dir, f);
    const st = statSync(p);
    if (st.isDirectory()) {
      const hit = hasNodeAddon(p, depth + 1);
      if (hit) return hit;
    } else if (f.endsWith('.node') || f === 'binding.gyp') return p;
  }
  return null;
}

describe('no native dependency in the default path', () => {
  const closure = runtimeClosure();

  test('the runtime closure is what we expect to ship', () => {
    const names = closure.map((k) => k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length));
    for (const d of Object.keys(pkg.dependencies)) expect(names).toContain(d);
    expect(closure.every((k) => !entries[k].dev)).toBe(true);
  });

  test('no binding.gyp, gypfile or .node addon; install scripts only the known harmless ones', () => {
    const problems: string[] = [];
    for (const key of closure) {
      const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
      const dir = join(ROOT, key);
      if (!existsSync(dir)) {
        problems.push(`${name}: not installed (run npm ci)`);
        continue;
      }
      const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (meta.gypfile) problems.push(`${name}: gypfile`);
      const addon = hasNodeAddon(dir);
      if (addon) problems.push(`${name}: native file ${addon.slice(ROOT.length)}`);
      const scripts = ['preinstall', 'install', 'postinstall'].filter((s) => meta.scripts?.[s]);
      for (const s of scripts) {
        if (KNOWN_SCRIPTS[name] !== meta.scripts[s]) problems.push(`${name}: ${s} script "${meta.scripts[s]}"`);
      }
      if (entries[key].hasInstallScript && scripts.length === 0) problems.push(`${name}: install script in the lock file`);
    }
    expect(problems).toEqual([]);
    // the allowed scripts are what we read: no child processes, no network
    const pb = readFileSync(join(ROOT, 'node_modules/protobufjs/scripts/postinstall.js'), 'utf8');
    expect(pb).not.toMatch(/child_process|require\(["']https?["']\)|node-gyp|prebuild/);
  });

  test('onnxruntime-node, if present, is only optional', () => {
    expect(Object.keys(pkg.dependencies)).not.toContain('onnxruntime-node');
    expect(closure.some((k) => k.endsWith('node_modules/onnxruntime-node'))).toBe(false);
    const lockEntry = entries['node_modules/onnxruntime-node'];
    if (lockEntry) expect(lockEntry.optional || lockEntry.dev).toBe(true);
    if (pkg.optionalDependencies?.['onnxruntime-node']) expect(lockEntry?.optional ?? true).toBe(true);
  });
});
