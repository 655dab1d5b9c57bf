/** lib/core results: mode from the environment, the output folder rule (interactive, reproduce, LDL_OUT_DIR), contract fields enforced. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runMode, projectRoot, readJsonFile, resultsDir, writeJsonFile, writeResults } from '../../lib/core';

test('runMode reads QUICK and PAPER (QUICK wins, 0/false/empty are off)', () => {
  assert.equal(runMode({}), 'default');
  assert.equal(runMode({ QUICK: '1' }), 'quick');
  assert.equal(runMode({ QUICK: '0', PAPER: '1' }), 'paper');
  assert.equal(runMode({ QUICK: 'false', PAPER: '' }), 'default');
  assert.equal(runMode({ QUICK: '1', PAPER: '1' }), 'quick');
});

test('projectRoot is the folder holding lib/ and package.json', () => {
  const root = projectRoot();
  assert.ok(fs.existsSync(path.join(root, 'lib', 'core', 'results.ts')));
  assert.ok(fs.existsSync(path.join(root, 'package.json')));
});

test('resultsDir: out/<name>/ interactively, out/reproduce/<name>/ under npm run reproduce, LDL_OUT_DIR/<name>/ over both', () => {
  // A name no notebook has, removed afterwards: the first two cases create folders in the real out/.
  const name = `results-test-${process.pid}`;
  const root = projectRoot();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-out-'));
  try {
    assert.equal(resultsDir(name, {}), path.join(root, 'out', name));
    assert.equal(resultsDir(name, { LDL_RUN: '' }), path.join(root, 'out', name));
    assert.equal(resultsDir(name, { LDL_RUN: 'reproduce' }), path.join(root, 'out', 'reproduce', name));
    assert.equal(resultsDir(name, { LDL_OUT_DIR: tmp }), path.join(tmp, name));
    assert.equal(resultsDir(name, { LDL_OUT_DIR: tmp, LDL_RUN: 'reproduce' }), path.join(tmp, name));
    for (const dir of [path.join(root, 'out', name), path.join(root, 'out', 'reproduce', name), path.join(tmp, name)]) {
      assert.ok(fs.statSync(dir).isDirectory(), `${dir} was not created`);
    }
    assert.throws(() => resultsDir('reproduce', {}), /^ArgumentError: name: expected a notebook name other than "reproduce"/);
    assert.throws(() => resultsDir(name, { LDL_RUN: 'jupyter' }), /^ArgumentError: LDL_RUN: expected "reproduce" \(set by npm run reproduce\) or unset, got jupyter/);
    // Without an env argument the process environment decides.
    const saved = { out: process.env.LDL_OUT_DIR, run: process.env.LDL_RUN };
    process.env.LDL_RUN = 'reproduce';
    delete process.env.LDL_OUT_DIR;
    try {
      assert.equal(resultsDir(name), path.join(root, 'out', 'reproduce', name));
    } finally {
      if (saved.out === undefined) delete process.env.LDL_OUT_DIR;
      else process.env.LDL_OUT_DIR = saved.out;
      if (saved.run === undefined) delete process.env.LDL_RUN;
      else process.env.LDL_RUN = saved.run;
    }
  } finally {
    fs.rmSync(path.join(root, 'out', name), { recursive: true, force: true });
    fs.rmSync(path.join(root, 'out', 'reproduce', name), { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('writeResults adds mode, wall time, node, date; refuses missing seeds or measurements', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-out-'));
  const saved = { out: process.env.LDL_OUT_DIR, quick: process.env.QUICK };
  process.env.LDL_OUT_DIR = dir;
  process.env.QUICK = '1';
  try {
    const startedAt = Date.now() - 1500;
    const file = writeResults('demo', { seeds: [1, 2], settings: { n: 3 }, measured: { acc: new Float32Array([0.5, 0.75]) }, startedAt });
    assert.equal(file, path.join(dir, 'demo', 'results.json'));
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(r.mode, 'quick');
    assert.deepEqual(r.seeds, [1, 2]);
    assert.deepEqual(r.measured.acc, [0.5, 0.75]);
    assert.ok(r.wallTimeSeconds >= 1.5 && r.wallTimeSeconds < 60, `wall time ${r.wallTimeSeconds}`);
    assert.equal(r.node, process.version);
    assert.ok(!Number.isNaN(Date.parse(r.date)));
    assert.ok('backend' in r);
    assert.throws(() => writeResults('demo', { seeds: [], settings: {}, measured: { a: 1 }, startedAt }), /results\.seeds/);
    assert.throws(() => writeResults('demo', { seeds: [1], settings: {}, measured: { a: NaN }, startedAt }), /results\.measured/);
    assert.throws(() => writeResults('../evil', { seeds: [1], settings: {}, measured: { a: 1 }, startedAt }), /name: expected a notebook name/);
  } finally {
    if (saved.out === undefined) delete process.env.LDL_OUT_DIR;
    else process.env.LDL_OUT_DIR = saved.out;
    if (saved.quick === undefined) delete process.env.QUICK;
    else process.env.QUICK = saved.quick;
  }
});

test('writeJsonFile creates the folder and readJsonFile returns the same value; a missing file names `file` and what should be there', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'json-file-'));
  const file = path.join(dir, 'a', 'b', 'value.json');
  const value = { x: [1.5, -2, 1e-300], s: 'text', nested: { ok: true, none: null } };
  writeJsonFile(file, value);
  assert.deepEqual(readJsonFile(file, 'a saved value'), value);
  assert.throws(() => readJsonFile(path.join(dir, 'missing.json'), 'a saved value'), /^ArgumentError: file: expected a saved value, got .*missing\.json/);
  fs.rmSync(dir, { recursive: true });
});

