/**
 * `npm run reproduce` (scripts/reproduce.mjs) on small real notebooks, written
 * into a scratch folder under out/ (a `lib` link beside them, as notebooks/
 * has), executed by the real Jupyter stack and tslab kernel:
 * - while a notebook runs, its lib/core Progress redraws reach reproduce's
 *   output (a mid-run state such as "3/6" can only come from a running cell),
 *   as plain lines no closer together than REPRODUCE_LOG_INTERVAL when output
 *   is a pipe, and as one line redrawn with carriage returns on a terminal
 *   (a pseudo-terminal from util-linux `script`);
 * - the closing table shows mode, status and the numbers the notebook put in
 *   results.json's `measured`; a notebook that throws in cell 3 is listed as
 *   "failed at cell 3" and the exit status is 1;
 * - outputs land in out/reproduce/<name>/ (the kernel and the runner agree);
 * - with --html, a notebook showing two figures gets a static page beside its
 *   executed copy: plotly.js inlined once in the page, while the executed
 *   copy only names the served file (the browser test draws such a page
 *   offline); an unknown option is refused before anything runs.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const script = path.join(root, 'scripts', 'reproduce.mjs');
// Inside the project, so that the kernel resolves the library's packages from node_modules as in notebooks/.
const work = fs.mkdtempSync(path.join(root, 'out', 'reproduce-test-'));
fs.symlinkSync(path.join(root, 'lib'), path.join(work, 'lib'));
const tag = path.basename(work).replace(/[^A-Za-z0-9]/g, '').toLowerCase();
const names = { progress: `${tag}-progress`, broken: `${tag}-broken`, ticks: `${tag}-ticks`, figures: `${tag}-figures` };
const outDirs = Object.values(names).map((n) => path.join(root, 'out', 'reproduce', n));
after(() => {
  for (const d of [work, ...outDirs]) fs.rmSync(d, { recursive: true, force: true });
});

function writeNotebook(name: string, cells: string[]): string {
  const file = path.join(work, `${name}.ipynb`);
  const nb = {
    cells: cells.map((source, i) =>
      source.startsWith('#')
        ? { cell_type: 'markdown', id: `c${i}`, metadata: {}, source }
        : { cell_type: 'code', id: `c${i}`, execution_count: null, metadata: {}, outputs: [], source },
    ),
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}

const progressFile = writeNotebook(names.progress, [
  '# A notebook with a progress bar and results',
  "import { Progress, writeResults } from './lib/core';\nconst startedAt = Date.now();",
  "const p = new Progress({ total: 6, label: 'demo steps' });\n" +
    'for (let i = 0; i < 6; i++) { await new Promise((r) => setTimeout(r, 700)); p.update(i + 1, `step ${i + 1}`); }\n' +
    "p.finish('all steps');",
  `writeResults('${names.progress}', { seeds: [0], settings: {}, measured: { answer: 42, ratio: 0.123456, perSeed: [1, 2], nested: { lossMedian: 1.5, other: 7 } }, startedAt: startedAt });`,
]);
const brokenFile = writeNotebook(names.broken, [
  "console.log('first cell');",
  '# the next cell throws',
  "const a = 1;\nthrow new Error('deliberate failure');",
  "console.log('never runs');",
]);
const ticksFile = writeNotebook(names.ticks, ['for (let i = 1; i <= 8; i++) { console.log(`tick ${i}`); await new Promise((r) => setTimeout(r, 400)); }']);

/** The environment of a reproduction as a user runs it: progress on, default output folders. */
function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, QUICK: '1', PAPER: '', REPRODUCE_LOG_INTERVAL: '1' };
  delete e.LDL_PROGRESS; // npm test silences progress; here it is what is tested
  delete e.LDL_OUT_DIR;
  delete e.LDL_RUN;
  return e;
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('reproduce forwards progress while a notebook runs, lists results.json numbers and failures in its table, exits 1', { timeout: 300_000 }, async () => {
  const r = await run(process.execPath, [script, '--no-setup', progressFile, brokenFile]);
  const lines = r.output.split('\n');
  assert.equal(r.code, 1, `exit status with a failing notebook:\n${r.output}`);

  // Progress lines of the running cell, before the notebook's final line.
  const end = lines.findIndex((l) => l.startsWith(`  ${names.progress}: ok `));
  assert.ok(end > 0, `no ok line for ${names.progress}:\n${r.output}`);
  const status = lines.slice(0, end).filter((l) => l.startsWith(`  [${names.progress}  `));
  const midRun = status.filter((l) => /cell 3\/4 {2}demo steps: \[[#.]+\] +\d+% [1-5]\/6 /.test(l));
  assert.ok(midRun.length >= 1, `no progress line from the running cell:\n${r.output}`);
  // Not a line per redraw: consecutive lines at least REPRODUCE_LOG_INTERVAL (1 s) apart, by their elapsed time.
  // The times are shown to 0.1 s, so 1 s apart can read 0.9 apart -- and 4.3 - 3.4 is 0.8999999999999995 in
  // floating point: compare in tenths of a second.
  const times = status.map((l) => Math.round(10 * Number(/ {2}(\d+\.\d) s {2}/.exec(l)?.[1])));
  assert.ok(times.every(Number.isFinite), status.join('\n'));
  for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 9, `lines ${times[i - 1] / 10} s and ${times[i] / 10} s closer than the interval:\n${status.join('\n')}`);

  // The table: numbers from results.json (top-level first, then the median), the failing cell.
  const row = (name: string) => lines.find((l) => new RegExp(`^  ${name} +`).test(l));
  assert.match(row(names.progress) ?? '', / quick +\d+\.\d s +ok +answer 42, ratio 0\.123, nested\.lossMedian 1\.5, nested\.other 7$/, r.output);
  assert.match(row(names.broken) ?? '', / quick +\d+\.\d s +failed at cell 3 +-$/, r.output);
  assert.match(r.output, /deliberate failure/, 'the failing cell\'s error is printed');
  assert.match(r.output, /1\/2 ok .*; failed: .*-broken/);

  // Outputs in out/reproduce/<name>/: written by the kernel (results.json) and the runner (executed copy).
  const dir = path.join(root, 'out', 'reproduce', names.progress);
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')).measured.answer, 42);
  assert.ok(fs.existsSync(path.join(dir, `${names.progress}.ipynb`)));
  assert.ok(!fs.existsSync(path.join(root, 'out', names.progress)), 'the reproduction wrote the interactive folder');
  assert.ok(fs.existsSync(path.join(root, 'out', 'reproduce', names.broken, `${names.broken}.ipynb`)), 'a failed run keeps its executed copy');
});

const haveScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

test('on a terminal the status line is redrawn in place with the notebook\'s latest output', { skip: !haveScript && 'no util-linux `script` for a pseudo-terminal', timeout: 120_000 }, async () => {
  const command = [process.execPath, script, '--no-setup', ticksFile].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = await run('script', ['-qfec', command, '/dev/null']);
  assert.equal(r.code, 0, r.output);
  const before = r.output.slice(0, r.output.indexOf(`  ${names.ticks}: ok `));
  const redraws = before.split('\r').filter((s) => s.startsWith(`  ${names.ticks}  `));
  const ticks = new Set(redraws.map((s) => /tick (\d)/.exec(s)?.[1]).filter(Boolean));
  assert.ok(ticks.size >= 3, `fewer than 3 distinct ticks redrawn:\n${JSON.stringify(before)}`);
  // One line: the redraws are not separated by newlines.
  assert.ok(!redraws.some((s) => s.includes('\n')), JSON.stringify(before));
  assert.ok(redraws.every((s) => s.endsWith('\x1b[K')), 'each redraw clears the rest of the line');
});

const figuresFile = writeNotebook(names.figures, [
  "import { line, heatmap, show, plotlyLoading } from './lib/plot';\nconsole.log(`plotly: ${plotlyLoading()}`);",
  'show(line([{ y: [1, 3, 2], name: \'a\' }, { y: [2, 1, 2], name: \'b\' }]));',
  'show(heatmap([[1, 2], [3, 4]]));',
]);

test('--html writes a static page with plotly.js inlined once beside an executed copy that only names the served file', { timeout: 180_000 }, async () => {
  const { servedPlotlyInstalled } = await import(path.join(root, 'scripts', 'served-plotly.mjs'));
  assert.ok(servedPlotlyInstalled(), 'setup has not linked plotly.js into .jupyter-prefix (node scripts/served-plotly.mjs)');
  const r = await run(process.execPath, [script, '--no-setup', '--html', figuresFile]);
  assert.equal(r.code, 0, r.output);
  const dir = path.join(root, 'out', 'reproduce', names.figures);
  assert.match(r.output, new RegExp(`${names.figures}: ok .*${names.figures}\\.ipynb and \\.html`));
  const bundle = fs.readFileSync(path.join(root, 'node_modules', 'plotly.js-dist-min', 'plotly.min.js'), 'utf8');
  // The bundle's version line (one line: a notebook stores an output's text line by line).
  const marker = bundle.split('\n').find((l) => l.includes('plotly.js v'))!;
  const count = (text: string, s: string) => text.split(s).length - 1;

  const copy = fs.readFileSync(path.join(dir, `${names.figures}.ipynb`), 'utf8');
  assert.match(copy, /plotly: served/);
  assert.equal(count(copy, marker), 0, 'the executed copy carries no bundle');
  assert.equal(count(copy, 'nbextensions/ldl-plotly/plotly.min.js'), 2, 'each figure names the served file');
  assert.ok(copy.length < 60_000, `executed copy of two small figures: ${copy.length} bytes`);

  const page = fs.readFileSync(path.join(dir, `${names.figures}.html`), 'utf8');
  assert.equal(count(page, marker), 1, 'the bundle inlined once');
  assert.equal(count(page, 'class="ldl-plot"'), 2);
  // In the head, before the first figure, so every figure finds window.Plotly when its script runs.
  assert.ok(page.indexOf(marker) < page.indexOf('</head>') && page.indexOf('</head>') < page.indexOf('class="ldl-plot"'));
  assert.ok(page.length > bundle.length && page.length < bundle.length + 1_000_000);
});

test('an unknown option is refused before any notebook runs', { timeout: 30_000 }, async () => {
  const r = await run(process.execPath, [script, '--no-setup', '--htm', figuresFile]);
  assert.equal(r.code, 2);
  assert.match(r.output, /unknown option --htm \(have --html, --no-setup\)/);
});
