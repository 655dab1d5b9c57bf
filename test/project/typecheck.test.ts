// The library must type-check under the project's TypeScript (5.x, strict) and
// under TypeScript 5.0, the compiler tslab bundles and uses for notebook cells.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

for (const [label, tsc] of [
  ['project TypeScript', join(root, 'node_modules', 'typescript', 'bin', 'tsc')],
  ["tslab's TypeScript 5.0", join(root, 'node_modules', 'typescript-5.0', 'bin', 'tsc')],
] as const) {
  test(`the project type-checks under the ${label}`, { timeout: 300_000 }, () => {
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(root, 'tsconfig.json')], { encoding: 'utf8', cwd: root });
    assert.equal(r.status, 0, `tsc reported:\n${r.stdout}${r.stderr}`);
  });
}

test("lib/ type-checks under tslab's own compiler options (not strict, checkJs, declarations) with TypeScript 5.0", { timeout: 300_000 }, () => {
  const tsc = join(root, 'node_modules', 'typescript-5.0', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.tslab.json')], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, `tsc (tslab options) reported:\n${r.stdout}${r.stderr}`);
});
