// scripts/compare-results.mjs: the check that a refactor left every seeded QUICK-mode number unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'compare-results.mjs');

function run(before: object, after: object, extra: string[] = [], explained?: object): { status: number | null; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-'));
  for (const [side, value] of [['before', before], ['after', after]] as const) {
    fs.mkdirSync(path.join(dir, side, 'study'), { recursive: true });
    fs.writeFileSync(path.join(dir, side, 'study', 'results.json'), JSON.stringify(value));
  }
  if (explained) {
    fs.writeFileSync(path.join(dir, 'explained.json'), JSON.stringify(explained));
    extra = [...extra, '--explained', path.join(dir, 'explained.json')];
  }
  const r = spawnSync(process.execPath, [SCRIPT, path.join(dir, 'before'), path.join(dir, 'after'), ...extra], { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: r.status, out: r.stdout + r.stderr };
}

const base = { seeds: [0, 1], measured: { accuracy: [0.9, 0.8], loss: 0.25 }, wallTimeSeconds: 12, date: 'a', startedAt: 1 };

test('identical numbers pass; timing and date keys are not compared', () => {
  const r = run(base, { ...base, wallTimeSeconds: 99, date: 'b', startedAt: 2, measured: { ...base.measured, stepSeconds: 3 } });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /study: identical/);
});

test('a change in the last bit of one number fails and names its path with both values', () => {
  const r = run(base, { ...base, measured: { ...base.measured, accuracy: [0.9, 0.8000000000000002] } });
  assert.equal(r.status, 1);
  assert.match(r.out, /study: measured\.accuracy\.1: 0\.8 -> 0\.8000000000000002/);
});

test('a missing key and a changed length are differences', () => {
  assert.equal(run(base, { ...base, measured: { accuracy: [0.9, 0.8] } }).status, 1);
  const r = run(base, { ...base, seeds: [0, 1, 2] });
  assert.equal(r.status, 1);
  assert.match(r.out, /seeds: length 2 -> 3/);
});

test('an explained key is listed with its reason and does not fail; others still do', () => {
  const after = { ...base, measured: { accuracy: [0.7, 0.8], loss: 0.25 } };
  const ok = run(base, after, [], { 'study: ^measured\\.accuracy\\.': 'other minibatch order' });
  assert.equal(ok.status, 0, ok.out);
  assert.match(ok.out, /explained \(1 value.*other minibatch order/);
  const wrongNotebook = run(base, after, [], { 'other: ^measured\\.accuracy\\.': 'x' });
  assert.equal(wrongNotebook.status, 1);
});
