/**
 * patches/apply.mjs, the step of `node scripts/setup.mjs` that patches tslab after every `npm ci`: it
 * patches the files as published, recognises patched ones (idempotent), and refuses -- writing
 * nothing -- files of another content or another tslab version, naming the file, the expected and
 * found hashes and what to do. The published files are rebuilt here by undoing the patch on the
 * installed (patched) ones, and must hash to the pinned values: so the patch, its hashes and the
 * installed tslab agree.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-patch-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Hunk { oldStart: number; newStart: number; lines: string[] }
interface PatchedFile { original: string; patched: string; hunks: Hunk[] }
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let apply: any;

async function load() {
  apply ??= await import(path.join(root, 'patches', 'apply.mjs'));
  const files: Map<string, PatchedFile> = apply.parsePatch(fs.readFileSync(apply.patchFile, 'utf8'));
  return files;
}

/** The file as published: the installed (patched) one with every hunk undone. */
function unpatched(name: string, f: PatchedFile): string {
  const patched = fs.readFileSync(path.join(root, 'node_modules', 'tslab', name), 'utf8');
  assert.equal(sha256(patched), f.patched, `node_modules/tslab/${name} is patched (run node scripts/setup.mjs)`);
  const reversed = f.hunks.map((h) => ({ oldStart: h.newStart, lines: h.lines.map((l) => (l[0] === '+' ? '-' : l[0] === '-' ? '+' : ' ') + l.slice(1)) }));
  return apply.applyHunks(patched, reversed, name);
}

/** A project folder with tslab `version` whose files are `contents`. */
function fakeProject(label: string, contents: Map<string, string>, version = '1.0.22'): string {
  const dir = path.join(tmp, label);
  const tslab = path.join(dir, 'node_modules', 'tslab');
  fs.mkdirSync(path.join(tslab, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(tslab, 'package.json'), JSON.stringify({ name: 'tslab', version }));
  for (const [name, text] of contents) fs.writeFileSync(path.join(tslab, name), text);
  return dir;
}

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, 'node_modules', 'tslab', name), 'utf8');

test('the published files hash to the pinned originals; patching them gives the pinned results, once', async () => {
  const files = await load();
  assert.deepEqual([...files.keys()].sort(), ['dist/converter.js', 'dist/executor.js']);
  const published = new Map([...files].map(([name, f]) => [name, unpatched(name, f)]));
  for (const [name, f] of files) assert.equal(sha256(published.get(name)!), f.original, name);

  const dir = fakeProject('fresh', published);
  assert.deepEqual(apply.applyTslabPatch(dir), { patched: ['dist/converter.js', 'dist/executor.js'], already: [] });
  for (const [name, f] of files) assert.equal(sha256(read(dir, name)), f.patched, name);
  assert.deepEqual(apply.applyTslabPatch(dir), { patched: [], already: ['dist/converter.js', 'dist/executor.js'] });
  assert.deepEqual(apply.applyTslabPatch(dir, { check: true }).already.length, 2);
  assert.throws(() => apply.applyTslabPatch(fakeProject('unpatched', published), { check: true }), /dist\/converter\.js is not patched yet: run `node scripts\/setup\.mjs`/);
});

test('a file of unexpected content is refused with its hashes and what to do, and nothing is written', async () => {
  const files = await load();
  const published = new Map([...files].map(([name, f]) => [name, unpatched(name, f)]));
  const edited = new Map(published);
  edited.set('dist/executor.js', published.get('dist/executor.js') + '\n// edited\n');
  const dir = fakeProject('edited', edited);
  const f = files.get('dist/executor.js')!;
  assert.throws(() => apply.applyTslabPatch(dir), (e: Error) => {
    assert.match(e.message, /node_modules\/tslab\/dist\/executor\.js does not match/);
    assert.ok(e.message.includes(`expected sha256 ${f.original} (as published) or ${f.patched} (patched)`), e.message);
    assert.ok(e.message.includes(`found    sha256 ${sha256(edited.get('dist/executor.js')!)}`), e.message);
    assert.match(e.message, /`npm ci`/);
    return true;
  });
  // converter.js was fine, yet is left as published: a refusal writes nothing.
  assert.equal(read(dir, 'dist/converter.js'), published.get('dist/converter.js'));
});

test('another tslab version is refused', async () => {
  const files = await load();
  const dir = fakeProject('other-version', new Map([...files].map(([name, f]) => [name, unpatched(name, f)])), '1.0.23');
  assert.throws(() => apply.applyTslabPatch(dir), /tslab is version 1\.0\.23, the patch patches\/tslab-1\.0\.22\.patch is for 1\.0\.22/);
  assert.throws(() => apply.applyTslabPatch(path.join(tmp, 'nothing')), /tslab is not installed/);
});
