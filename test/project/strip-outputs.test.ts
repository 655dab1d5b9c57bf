/**
 * The git clean filter that keeps notebook outputs out of commits
 * (scripts/strip-notebook-outputs.mjs, configured by `scripts/setup.mjs`,
 * named for notebooks/*.ipynb in .gitattributes). Executed notebooks are made
 * the way Jupyter makes them: by Python's nbformat (the Jupyter Python's,
 * JUPYTER_PYTHON or /usr/bin/python3), not by the filter's own serializer, so
 * "stripped == committed" compares against an independent writer. The commit
 * test runs real git in a temporary repository configured by setup's own step.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const filter = path.join(root, 'scripts', 'strip-notebook-outputs.mjs');
const python = process.env.JUPYTER_PYTHON || '/usr/bin/python3';
const isCheckout = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: root, encoding: 'utf8' }).status === 0;

function runFilter(input: string | Buffer, cwd = root): { stdout: Buffer; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [filter], { cwd, input });
  return { stdout: r.stdout, stderr: r.stderr.toString('utf8'), status: r.status };
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Committed notebooks: the versions in HEAD when this is a git checkout (the working copy may hold outputs). */
const committed: { name: string; text: string }[] = fs
  .readdirSync(path.join(root, 'notebooks'))
  .filter((f) => f.endsWith('.ipynb'))
  .sort()
  .map((f) => ({
    name: f,
    text: isCheckout ? git(root, 'show', `HEAD:notebooks/${f}`) : fs.readFileSync(path.join(root, 'notebooks', f), 'utf8'),
  }));

// Reads a notebook on stdin; writes {"executed": ..., "clean": ...}: the notebook after a run as Jupyter saves
// it (outputs of each kind, execution counts, execution timings, widget state) and the unexecuted notebook as
// Jupyter saves it (nbformat.write: sorted keys, indent 1, a final newline).
const EXECUTE = `
import io, json, sys, nbformat
from nbformat.v4 import new_output
def save(nb):
    buf = io.StringIO(); nbformat.write(nb, buf); return buf.getvalue()
text = sys.stdin.read()
clean = save(nbformat.reads(text, as_version=4))
nb = nbformat.reads(text, as_version=4)
for i, cell in enumerate(c for c in nb.cells if c.cell_type == 'code'):
    cell.execution_count = i + 1
    cell.outputs = [
        new_output('stream', name='stdout', text='epoch 1 \\u2014 loss 0.5\\n'),
        new_output('display_data', data={'text/html': '<div>plot</div>', 'text/plain': 'Figure'}),
        new_output('execute_result', data={'text/plain': '42'}, execution_count=i + 1),
        new_output('error', ename='Error', evalue='boom', traceback=['Error: boom']),
    ]
    cell.metadata['execution'] = {'iopub.execute_input': '2026-12-06T07:00:00.000Z'}
    cell.metadata['scrolled'] = True
nb.metadata['widgets'] = {'application/vnd.jupyter.widget-state+json': {'state': {}, 'version_major': 2, 'version_minor': 0}}
sys.stdout.write(json.dumps({'executed': save(nb), 'clean': clean}))
`;

function executeLikeJupyter(text: string): { executed: string; clean: string } {
  const r = spawnSync(python, ['-c', EXECUTE], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `${python} with nbformat: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function codeCells(text: string): { outputs: unknown[]; execution_count: unknown; metadata: object }[] {
  return JSON.parse(text).cells.filter((c: { cell_type: string }) => c.cell_type === 'code');
}

/** nbformat's multiline strings: a list of lines and their concatenation are the same source. */
function sourcesJoined(nb: { cells: { source: string | string[] }[] }): unknown {
  return { ...nb, cells: nb.cells.map((c) => ({ ...c, source: Array.isArray(c.source) ? c.source.join('') : c.source })) };
}

test('there are committed notebooks to check', () => {
  assert.ok(committed.length > 0);
});

for (const { name, text } of committed) {
  test(`${name}: the committed notebook passes through the filter byte for byte`, () => {
    const r = runFilter(text);
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
    assert.ok(r.stdout.equals(Buffer.from(text, 'utf8')), 'the filter changed a clean notebook');
  });

  test(`${name}: executed as Jupyter saves it, the filter gives back the committed notebook`, () => {
    const { executed, clean } = executeLikeJupyter(text);
    assert.ok(codeCells(executed).some((c) => c.outputs.length > 0), 'the executed copy has outputs');
    const r = runFilter(executed);
    assert.equal(r.status, 0);
    const stripped = r.stdout.toString('utf8');
    // Byte for byte what Jupyter writes for the unexecuted notebook, and the same notebook as the committed one:
    // equal up to what Jupyter's save changes (it sorts keys and splits a source string into lines; the committed
    // files need not do either), so the first commit after an interactive run may reformat a notebook once.
    assert.equal(stripped, clean);
    assert.deepEqual(sourcesJoined(JSON.parse(stripped)), sourcesJoined(JSON.parse(text)));
    for (const cell of codeCells(stripped)) {
      assert.deepEqual(cell.outputs, []);
      assert.equal(cell.execution_count, null);
      assert.ok(!('execution' in cell.metadata) && !('scrolled' in cell.metadata));
    }
    assert.ok(!('widgets' in JSON.parse(stripped).metadata));
  });
}

test('input that is not a notebook passes through unchanged, with a one-line warning', () => {
  for (const input of ['{"cells": [', 'not json at all\n', '{"a": 1}\n', Buffer.from([0xff, 0xfe, 0x00, 0x7b])]) {
    const r = runFilter(input);
    assert.equal(r.status, 0);
    assert.ok(r.stdout.equals(Buffer.isBuffer(input) ? input : Buffer.from(input)), `changed: ${String(input)}`);
    assert.match(r.stderr, /^strip-notebook-outputs: .*unchanged\n$/);
  }
});

test('.gitattributes sends notebooks through the filter', { skip: !isCheckout && 'not a git checkout' }, () => {
  assert.equal(git(root, 'check-attr', 'filter', 'notebooks/tour.ipynb').trim(), 'notebooks/tour.ipynb: filter: ldl-strip-outputs');
});

test('in a git repository set up by setup, a commit stores the notebook without outputs and the working copy keeps them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-strip-'));
  try {
    git(dir, 'init', '-q');
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.mkdirSync(path.join(dir, 'notebooks'));
    for (const f of ['setup.mjs', 'served-plotly.mjs', 'strip-notebook-outputs.mjs']) fs.copyFileSync(path.join(root, 'scripts', f), path.join(dir, 'scripts', f));
    fs.copyFileSync(path.join(root, '.gitattributes'), path.join(dir, '.gitattributes'));
    // setup's own step, run in the temporary repository (setup finds the project root from its own path).
    const setup = spawnSync(process.execPath, [path.join(dir, 'scripts', 'setup.mjs'), '--git-filter'], { cwd: dir, encoding: 'utf8' });
    assert.equal(setup.status, 0, setup.stdout + setup.stderr);
    assert.equal(git(dir, 'config', '--local', '--get', 'filter.ldl-strip-outputs.clean').trim(), 'node scripts/strip-notebook-outputs.mjs');

    const { text } = committed.find((c) => c.name === 'tour.ipynb') ?? committed[0];
    const { executed, clean } = executeLikeJupyter(text);
    const file = path.join(dir, 'notebooks', 'nb.ipynb');
    fs.writeFileSync(file, executed);
    // Added from a subdirectory: git runs the filter from the top of the work tree, where its relative path holds.
    git(path.join(dir, 'notebooks'), 'add', 'nb.ipynb', '../.gitattributes', '../scripts');
    git(dir, 'commit', '-q', '-m', 'executed notebook');
    const stored = git(dir, 'show', 'HEAD:notebooks/nb.ipynb');
    assert.equal(stored, clean);
    assert.ok(codeCells(stored).every((c) => c.outputs.length === 0 && c.execution_count === null), 'outputs reached the commit');
    assert.equal(fs.readFileSync(file, 'utf8'), executed, 'the working copy lost its outputs');
    // Saving the executed notebook again (as Jupyter does after a run) does not leave it modified.
    fs.writeFileSync(file, executed);
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.equal(git(dir, 'status', '--porcelain'), '');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
