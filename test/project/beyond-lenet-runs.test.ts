// scripts/beyond-lenet-runs.ts --report: merges this script's folders and the notebook's output folder (results.json)
// into one table; refuses folders of other settings, a run twice, and a folder of neither kind, naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beyondLenetSettings, type VitSize } from '../../lib/studies/low-dimensional-feedback';

const ROOT = path.join(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'beyond-lenet-runs.ts');
const settings = beyondLenetSettings('default');
// folders written before the nets' sizes were settings name no `vggBlocks` or `vit` (all ran vggBatchNorm() and vit()'s default)
const { vggBlocks: _vggBlocks, vit: _vit, ...olderSettings } = settings;

/** Test accuracy after each epoch (index 0: before training), as both kinds of folder record it. */
const record = (model: string, rule: string, rank: string, seed: number, curve: number[]) =>
  ({ model, dataset: 'fashion-mnist', rule, rank, seed, testAccuracy: curve[curve.length - 1], testAccuracyByEpoch: curve });
const bp = record('vit', 'bp', '-', 0, [0.1, 0.5, 0.7, 0.8, 0.8]);
const r3 = record('vit', 'ldfa', '3 (qkv 9)', 0, [0.1, 0.6, 0.78, 0.79, 0.8]);
const r4 = record('vit', 'ldfa', '4 (qkv 12)', 0, [0.1, 0.4, 0.6, 0.75, 0.78]);

function folders(o: { scriptEpochs?: number; scriptVit?: VitSize; duplicate?: boolean } = {}): { script: string; notebook: string; other: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'beyond-lenet-'));
  const script = path.join(dir, 'script');
  const notebook = path.join(dir, 'notebook');
  const other = path.join(dir, 'other');
  [script, notebook, other].forEach((d) => fs.mkdirSync(d));
  fs.writeFileSync(path.join(script, 'summary.json'), JSON.stringify({ settings: { ...settings, epochs: o.scriptEpochs ?? settings.epochs, vit: o.scriptVit ?? settings.vit, vitRanks: [4] }, ldfaRule: 'normative' }));
  const runs = [{ run: 'vit/ldfa/4@0', ...r4 }, ...(o.duplicate ? [{ run: 'vit/ldfa/3@0', ...r3 }] : [])];
  fs.writeFileSync(path.join(script, 'runs.jsonl'), runs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  fs.writeFileSync(path.join(notebook, 'results.json'), JSON.stringify({ settings: { ldfaRule: 'normative' }, beyondLenet: { settings: { ...olderSettings, vitRanks: [3, 11] }, vitWidth: 64, perRun: [bp, r3] } }));
  fs.writeFileSync(path.join(other, 'notes.txt'), 'not a run folder');
  return { script, notebook, other };
}

function report(dirs: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, '--report', dirs.join(',')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LDL_PROGRESS: 'silent' } });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('--report merges a script folder and the notebook\'s output folder: every run\'s curve, and epochs to 90% of the final read from the curves', () => {
  const f = folders();
  const r = report([f.notebook, f.script]);
  fs.rmSync(path.dirname(f.script), { recursive: true, force: true });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /3 runs in /);
  assert.match(r.out, /vit\/fashion-mnist\/bp seed 0: 50\.0 70\.0 80\.0 80\.0/);
  assert.match(r.out, /vit\/fashion-mnist\/ldfa\/4 seed 0: 40\.0 60\.0 75\.0 78\.0/);
  // 90% of the final: BP 72 -> epoch 3 (0.8); r = 3 72 -> epoch 2 (0.78); r = 4 70.2 -> epoch 3 (0.75)
  const row = (label: string) => r.out.split('\n').find((l) => l.includes(label)) ?? '';
  assert.match(row("'bp -'"), /'3\.0'/);
  assert.match(row("'ldfa-normative 3 (qkv 9)'"), /'2\.0'/);
  assert.match(row("'ldfa-normative 4 (qkv 12)'"), /'3\.0'/);
});

test('--report refuses folders of other settings, a run twice and a folder of neither kind, naming them', () => {
  const f = folders({ scriptEpochs: 8 });
  const other = report([f.notebook, f.script]);
  assert.equal(other.status, 1);
  assert.match(other.out, /--report: expected folders of runs with the same epochs, images, LDFA rule and network sizes/);
  const wide = folders({ scriptVit: { width: 384, depth: 8, heads: 8 } });
  const otherVit = report([wide.notebook, wide.script]);
  fs.rmSync(path.dirname(wide.script), { recursive: true, force: true });
  assert.equal(otherVit.status, 1);
  assert.match(otherVit.out, /same epochs, images, LDFA rule and network sizes/);
  const neither = report([f.other]);
  assert.equal(neither.status, 1);
  assert.match(neither.out, new RegExp(`--report: expected folders this script wrote .* got ${f.other.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  fs.rmSync(path.dirname(f.script), { recursive: true, force: true });
  const g = folders({ duplicate: true });
  const twice = report([g.notebook, g.script]);
  fs.rmSync(path.dirname(g.script), { recursive: true, force: true });
  assert.equal(twice.status, 1);
  assert.match(twice.out, /folders with each run once.*vit\/ldfa\/3@0 twice/);
});
