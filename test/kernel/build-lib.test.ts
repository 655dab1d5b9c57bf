/**
 * When the kernel may use the precompiled library (scripts/build-lib.cjs): lib-build/ counts as
 * fresh only while lib/ holds exactly the files, modification times and sizes recorded when the build
 * began, under the same tsconfig.build.json. Checked on a small tree of its own: unchanged, a file
 * edited (newer), one added, one removed, the configuration changed, no build at all. (That the kernel
 * then loads lib-build/ or compiles lib/ itself is checked in errors.test.ts, in the real kernel.)
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { root } from './jupyter';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const buildLib = require(path.join(root, 'scripts', 'build-lib.cjs'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-build-lib-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const p = { libDir: path.join(tmp, 'lib'), buildDir: path.join(tmp, 'lib-build'), config: path.join(tmp, 'tsconfig.build.json') };
const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
  fs.writeFileSync(path.join(tmp, rel), text);
};

test('lib-build/ is fresh only while lib/ and the configuration are as they were when it was built', () => {
  write('lib/a.ts', 'export const a = 1;\n');
  write('lib/sub/b.ts', 'export const b = 2;\n');
  write('lib/sub/worker.js', '// plain JavaScript is part of lib/ too\n');
  write('tsconfig.build.json', '{}\n');
  assert.match(buildLib.buildState(p).reason, /lib-build\/ does not exist/);

  const record = () => {
    fs.mkdirSync(p.buildDir, { recursive: true });
    buildLib.writeStamps(p.buildDir, buildLib.currentStamps(p));
  };
  record();
  assert.deepEqual(buildLib.buildState(p), { fresh: true });

  // Edited: a later modification time (what an editor's save gives), the same size.
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(path.join(p.libDir, 'sub', 'b.ts'), later, later);
  assert.deepEqual(buildLib.buildState(p), { fresh: false, reason: 'lib/sub/b.ts changed since the build' });
  record();
  // Edited within the clock's resolution: the size tells.
  const before = fs.statSync(path.join(p.libDir, 'a.ts')).mtime;
  write('lib/a.ts', 'export const a = 10;\n');
  fs.utimesSync(path.join(p.libDir, 'a.ts'), before, before);
  assert.deepEqual(buildLib.buildState(p), { fresh: false, reason: 'lib/a.ts changed since the build' });
  record();

  write('lib/c.ts', 'export const c = 3;\n');
  assert.deepEqual(buildLib.buildState(p), { fresh: false, reason: 'lib/c.ts is new since the build' });
  fs.rmSync(path.join(p.libDir, 'c.ts'));
  assert.deepEqual(buildLib.buildState(p), { fresh: true });

  fs.rmSync(path.join(p.libDir, 'sub', 'b.ts'));
  assert.deepEqual(buildLib.buildState(p), { fresh: false, reason: 'lib/sub/b.ts was removed since the build' });
  record();

  write('tsconfig.build.json', '{ "compilerOptions": {} }\n');
  assert.deepEqual(buildLib.buildState(p), { fresh: false, reason: 'tsconfig.build.json changed since the build' });
});
