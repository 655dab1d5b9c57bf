/**
 * Notebook kernel benchmark (issue 13, item 3: the first cell in under 5 s after setup).
 *
 *   npm run bench -- notebook [-- --reps 3] [-- --quick]
 *
 * Times, as a front end sees them (jupyter_client, through test/kernel/jupyter.ts), a fresh kernel's
 * life: start until it answers, the first cell, then the per-cell overhead (median of a few cells that
 * only bind a number); for the cells also the CPU time of the kernel's process, which a loaded shared
 * machine stretches much less than the wall time. Three kernels, in alternating rounds:
 * - tslab as setup leaves it, loading the precompiled library (lib-build/; built first when stale);
 * - tslab compiling lib/ from its sources (LDL_KERNEL_SOURCES=1: what it did before lib-build/,
 *   and still does when a file under lib/ is newer than its build);
 * - Python's ipykernel, the reference, whose first cell imports a small module of its own.
 * The tslab first cell is what a notebook's starts with: the library's core and rules imported and
 * `initBackend()`. Medians over --reps rounds (default 3; --quick: 1); writes out/bench/notebook.json.
 * The machine is shared: the load average before and after is recorded with the times.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCells, noKernel, KernelRun } from '../test/kernel/jupyter';

const ROOT = path.resolve(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const buildLib = require(path.join(ROOT, 'scripts', 'build-lib.cjs'));

const SMALL_CELLS = 5;
const TSLAB_FIRST = "import { initBackend } from './lib/core';\nimport * as rules from './lib/rules';\nawait initBackend();";
const PYTHON_FIRST = 'import smallmod\nsmallmod.mean([1.0, 2.0, 3.0])';
const SMALL_MODULE = 'def mean(xs):\n    return sum(xs) / len(xs)\n';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function parseArgs(argv: string[]): { reps: number } {
  const quick = argv.includes('--quick') || process.env.LDL_BENCH_QUICK === '1';
  const i = argv.indexOf('--reps');
  const reps = Number(i >= 0 ? argv[i + 1] : process.env.LDL_BENCH_REPS ?? (quick ? 1 : 3));
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: expected a positive integer, got ${argv[i + 1]}`);
  return { reps };
}

interface Kernel {
  name: string;
  run(): Promise<KernelRun>;
}

interface Sample {
  ready: number;
  first: number;
  perCell: number;
  firstCpu: number;
  perCellCpu: number;
}

function sample(name: string, run: KernelRun): Sample {
  const failed = run.cells.find((c) => c.status !== 'ok');
  if (failed) throw new Error(`${name}: a cell failed: ${failed.error}\n${failed.stderr}`);
  const rest = run.cells.slice(1);
  return {
    ready: run.ready,
    first: run.cells[0].seconds,
    perCell: median(rest.map((c) => c.seconds)),
    firstCpu: run.cells[0].cpu ?? NaN,
    perCellCpu: median(rest.map((c) => c.cpu ?? NaN)),
  };
}

async function main(): Promise<void> {
  const { reps } = parseArgs(process.argv.slice(2));
  const why = await noKernel();
  if (why) throw new Error(`notebook bench: ${why}`);
  const small = (prefix: string) => Array.from({ length: SMALL_CELLS }, (_, i) => `${prefix}v${i} = ${i} + 1`);
  const pyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-bench-py-'));
  fs.writeFileSync(path.join(pyDir, 'smallmod.py'), SMALL_MODULE);
  const notebooks = path.join(ROOT, 'notebooks');
  const fellBack: number[] = [];

  const kernels: Kernel[] = [
    {
      name: 'tslab, lib-build/',
      run: async () => {
        if (!buildLib.buildState().fresh) buildLib.build();
        const r = await runCells([TSLAB_FIRST, ...small('const ')], { cwd: notebooks });
        // lib/ edited between the build and the kernel's start: it compiled lib/ itself. Said, not hidden.
        if (/compiling lib\/ from its sources/.test(r.cells[0].stderr)) fellBack.push(r.cells[0].seconds);
        return r;
      },
    },
    { name: 'tslab, lib/ compiled in the kernel', run: () => runCells([TSLAB_FIRST, ...small('const ')], { cwd: notebooks, env: { LDL_KERNEL_SOURCES: '1' } }) },
    { name: 'Python ipykernel', run: () => runCells([PYTHON_FIRST, ...small('')], { kernel: 'python3', cwd: pyDir }) },
  ];

  const loadBefore = os.loadavg();
  const samples = new Map<string, Sample[]>(kernels.map((k) => [k.name, []]));
  for (let r = 0; r < reps; r++) {
    // Alternate the order, so no kernel always runs first (cold caches) or last.
    const order = r % 2 === 0 ? kernels : [...kernels].reverse();
    for (const k of order) {
      const s = sample(k.name, await k.run());
      samples.get(k.name)!.push(s);
      console.log(`round ${r + 1}/${reps} ${k.name}: ready ${s.ready.toFixed(2)} s, first cell ${s.first.toFixed(2)} s (CPU ${s.firstCpu.toFixed(2)} s), per cell ${(s.perCell * 1000).toFixed(0)} ms (CPU ${(s.perCellCpu * 1000).toFixed(0)} ms)`);
    }
  }
  const loadAfter = os.loadavg();
  fs.rmSync(pyDir, { recursive: true, force: true });

  const med = (name: string, key: keyof Sample) => median(samples.get(name)!.map((s) => s[key]));
  const [built, sources, python] = kernels.map((k) => k.name);
  const rows = [
    ['kernel start until it answers (s)', ...[built, sources, python].map((n) => med(n, 'ready').toFixed(2))],
    ['first cell (s)', ...[built, sources, python].map((n) => med(n, 'first').toFixed(2))],
    ['first cell, kernel CPU (s)', ...[built, sources, python].map((n) => med(n, 'firstCpu').toFixed(2))],
    [`per-cell overhead, median of ${SMALL_CELLS} cells (ms)`, ...[built, sources, python].map((n) => (med(n, 'perCell') * 1000).toFixed(0))],
    ['per-cell overhead, kernel CPU (ms)', ...[built, sources, python].map((n) => (med(n, 'perCellCpu') * 1000).toFixed(0))],
  ];
  const ratios = [
    ['first cell, tslab with lib-build/ / Python', (med(built, 'first') / med(python, 'first')).toFixed(1)],
    ['first cell, tslab compiling lib/ / tslab with lib-build/', (med(sources, 'first') / med(built, 'first')).toFixed(1)],
    ['first cell CPU, tslab compiling lib/ / tslab with lib-build/', (med(sources, 'firstCpu') / med(built, 'firstCpu')).toFixed(1)],
    ['per-cell overhead, tslab with lib-build/ / Python', (med(built, 'perCell') / med(python, 'perCell')).toFixed(1)],
  ];
  const title = `Notebook kernels through jupyter_client, medians of ${reps} alternating round(s)`;
  const note =
    `tslab's first cell: ${JSON.stringify(TSLAB_FIRST)}; Python's: ${JSON.stringify(PYTHON_FIRST)} (a 2-line module). ` +
    `Load average ${loadBefore.map((x) => x.toFixed(1)).join(' ')} before, ${loadAfter.map((x) => x.toFixed(1)).join(' ')} after, ${os.cpus().length} cores.` +
    (fellBack.length ? ` In ${fellBack.length} round(s) lib/ changed between the build and the kernel's start, so that kernel compiled lib/ itself (counted as it ran).` : '');
  console.log(`\n${title}`);
  for (const r of rows) console.log(`  ${r[0]}: ${built} ${r[1]}, ${sources} ${r[2]}, ${python} ${r[3]}`);
  for (const r of ratios) console.log(`  ${r[0]}: ${r[1]}`);
  console.log(note);

  const dir = path.join(ROOT, 'out', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  // `tables`, `finished` and `note` are what scripts/bench.mjs prints in its summary.
  fs.writeFileSync(path.join(dir, 'notebook.json'), JSON.stringify({
    finished: new Date().toISOString(),
    reps,
    loadBefore,
    loadAfter,
    samples: Object.fromEntries(samples),
    tables: [
      { title, columns: ['measure', built, sources, python], rows },
      { title: 'Ratios', columns: ['ratio', 'value'], rows: ratios },
    ],
    note,
  }, null, 1));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
