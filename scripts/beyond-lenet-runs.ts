/*
 * Runs chosen jobs of the low-dimensional-feedback notebook's (f) (VGG-BN and
 * ViT, lib/studies/low-dimensional-feedback.ts) outside the notebook, for
 * lengths, seeds, fractions and ranks between its modes: a mode's settings with
 * overrides, on the worker pool, each run's record written as it finishes
 * (runs.jsonl), so that stopping the script keeps the finished runs.
 *
 *   node --import tsx scripts/beyond-lenet-runs.ts [--mode default] [--epochs 8] [--seeds 0,1]
 *     [--fractions 1,2,4,8] [--vit-ranks 3,4,5,8,11] [--only vgg-bn/bp@0,vit/ldfa/4@0,...] [--workers N] --out DIR
 *
 * `--only` picks and orders the runs (config key without the data set, '@'
 * seed); unset, every job of the settings in the notebook's order. The jobs
 * are those the notebook would build at the same settings (beyondLenetJobs),
 * so their records are comparable with its results.json's beyondLenet.perRun.
 *
 *   node --import tsx scripts/beyond-lenet-runs.ts --report DIR[,DIR...]
 *
 * reads finished (or stopped) runs' folders of the same settings (this
 * script's, or the notebook's output folder, whose results.json keeps its (f)
 * runs) and prints what the notebook's
 * (f) prints of it: each run's test accuracy per epoch, median (range) per
 * configuration over seeds, and compute to convergence (computeToConvergence).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ArgumentError, initBackend, WorkerPool, type PoolProgressReport } from '../lib/core';
import { TrainingJobResult } from '../lib/rules';
import {
  BeyondLenetMode, beyondLenetComputeModels, beyondLenetJobs, beyondLenetSettings, BeyondLenetSettings, ConfigRun, computeToConvergence, convRows, perRunRecords, SMALL_VIT, VGG_BN_BLOCKS,
  vggConfigs, vitConfigs,
} from '../lib/studies/low-dimensional-feedback';

const LDFA_RULE = 'normative' as const;
const SUBSET_SEED = 0;

const FLAGS = ['mode', 'epochs', 'seeds', 'fractions', 'vit-ranks', 'only', 'workers', 'out', 'report'];

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new ArgumentError(`--${name}`, 'a value after the flag', v);
  return v;
}

function numbers(name: string, v: string): number[] {
  const out = v.split(',').map(Number);
  if (out.some((x) => !Number.isInteger(x) || x < 0)) throw new ArgumentError(`--${name}`, 'a comma-separated list of non-negative integers', v);
  return out;
}

/** The runs of folders written by this script with the same settings, as the study's functions take them (a record's accuracy curve as the run's history). */
/** A run's record as this script and the notebook's results.json (beyondLenet.perRun) keep it; `run` only in this script's. */
type RunRecord = { run?: string; model: string; rule: string; rank: string; seed: number; testAccuracy: number | null; testAccuracyByEpoch: number[] };
type FolderSummary = { settings: BeyondLenetSettings; ldfaRule: typeof LDFA_RULE };

/** A folder of this script's (summary.json, runs.jsonl) or the notebook's output folder (results.json, its (f) runs). */
function readFolder(dir: string): { summary: FolderSummary; records: RunRecord[] } {
  if (existsSync(`${dir}/summary.json`)) {
    const lines = existsSync(`${dir}/runs.jsonl`) ? readFileSync(`${dir}/runs.jsonl`, 'utf8').split('\n').filter(Boolean) : [];
    const summary = JSON.parse(readFileSync(`${dir}/summary.json`, 'utf8'));
    return { summary: { settings: withSizes(summary.settings), ldfaRule: summary.ldfaRule }, records: lines.map((l) => JSON.parse(l)) };
  }
  if (existsSync(`${dir}/results.json`)) {
    const r = JSON.parse(readFileSync(`${dir}/results.json`, 'utf8'));
    if (r.beyondLenet?.settings) return { summary: { settings: withSizes(r.beyondLenet.settings), ldfaRule: r.settings.ldfaRule }, records: r.beyondLenet.perRun };
  }
  throw new ArgumentError('--report', 'folders this script wrote (summary.json, runs.jsonl) or the notebook\'s output folder with (f) run (results.json)', dir);
}

/** Settings as written; folders from before the nets' sizes were settings (the ViT's from 8394ef3, the VGG-BN's from 24db02e) ran vggBatchNorm() and SMALL_VIT. */
function withSizes(settings: BeyondLenetSettings): BeyondLenetSettings {
  return { ...settings, vggBlocks: settings.vggBlocks ?? VGG_BN_BLOCKS.map((b) => [...b]), vit: settings.vit ?? { ...SMALL_VIT } };
}

async function report(dirs: string[]): Promise<void> {
  const folders = dirs.map(readFolder);
  const summaries = folders.map((f) => f.summary);
  const same = (s: (typeof summaries)[number]) => JSON.stringify([s.settings.epochs, s.settings.batchesPerEpoch, s.settings.trainLimit, s.settings.testLimit, s.ldfaRule, s.settings.vggBlocks, s.settings.vit]);
  if (summaries.some((s) => same(s) !== same(summaries[0]))) throw new ArgumentError('--report', 'folders of runs with the same epochs, images, LDFA rule and network sizes', dirs.join(','));
  const summary = summaries[0];
  // every fraction and rank any folder ran
  const settings = { ...summary.settings, fractions: [...new Set(summaries.flatMap((s) => s.settings.fractions))], vitRanks: [...new Set(summaries.flatMap((s) => s.settings.vitRanks))] };
  const configs = [...vggConfigs(settings.fractions, summary.ldfaRule, settings.vggBlocks), ...vitConfigs(settings.vitRanks, summary.ldfaRule, settings.vit)];
  const seen = new Set<string>();
  const runs: ConfigRun[] = folders.flatMap((f) => f.records).map((r) => {
    // a notebook record names its configuration by model, rule and rank label, as perRunRecords writes them
    const config = r.run !== undefined
      ? configs.find((c) => c.key === r.run?.replace(/@\d+$/, '').replace(/^(vgg-bn|vit)\//, '$1/fashion-mnist/'))
      : configs.find((c) => c.model === r.model && c.rule === r.rule && c.rank === r.rank);
    const name = r.run ?? `${r.model}/${r.rule}/${r.rank}@${r.seed}`;
    if (!config) throw new ArgumentError('--report', `runs of the folders' settings (${configs.map((c) => c.key).join(', ')})`, name);
    const id = `${config.key}@${r.seed}`;
    if (seen.has(id)) throw new ArgumentError('--report', 'folders with each run once', `${name} twice`);
    seen.add(id);
    const result = { finalTestAccuracy: r.testAccuracy, history: { records: r.testAccuracyByEpoch.map((testAccuracy) => ({ testAccuracy })) } } as unknown as TrainingJobResult;
    return { config, seed: r.seed, result };
  });
  console.log(`${runs.length} runs in ${dirs.join(', ')}: ${settings.epochs} epochs${settings.batchesPerEpoch ? ` of ${settings.batchesPerEpoch} batches` : ''}, ${settings.testLimit} test images`);
  for (const r of runs) console.log(`  ${r.config.key} seed ${r.seed}: ${r.result.history.records.slice(1).map((e) => (100 * (e.testAccuracy as number)).toFixed(1)).join(' ')}`);
  await initBackend();
  const present = configs.filter((c) => runs.some((r) => r.config.key === c.key));
  console.table(convRows(runs, present));
  const models = beyondLenetComputeModels(settings, { ldfaRule: summary.ldfaRule })
    .map((m) => ({ ...m, configs: m.configs.filter((c, i) => i === 0 || present.some((p) => p.key === c.key)) })) // BP first, run or not: the reference
    .filter((m) => m.configs.some((c) => present.some((p) => p.key === c.key)));
  console.table(computeToConvergence(runs, models).rows);
}

async function main(): Promise<void> {
  // a mistyped flag would otherwise run the mode's settings unnoticed
  for (const a of process.argv.slice(2)) if (a.startsWith('--') && !FLAGS.includes(a.slice(2))) throw new ArgumentError(a, `one of --${FLAGS.join(', --')}`, a);
  const reportDir = flag('report');
  if (reportDir !== undefined) return report(reportDir.split(','));
  const out = flag('out');
  if (!out) throw new ArgumentError('--out', 'the folder to write runs.jsonl and summary.json into', out);
  const mode = (flag('mode') ?? 'default') as BeyondLenetMode;
  const base = beyondLenetSettings(mode);
  const pick = (name: string): number[] | undefined => { const v = flag(name); return v === undefined ? undefined : numbers(name, v); };
  const epochs = pick('epochs');
  if (epochs && (epochs.length !== 1 || epochs[0] < 1)) throw new ArgumentError('--epochs', 'one positive integer', epochs.join(','));
  const settings = { ...base, epochs: epochs?.[0] ?? base.epochs, seeds: pick('seeds') ?? base.seeds,
    fractions: pick('fractions') ?? base.fractions, vitRanks: pick('vit-ranks') ?? base.vitRanks };
  const all = beyondLenetJobs(settings, { ldfaRule: LDFA_RULE, subsetSeed: SUBSET_SEED });
  const name = (j: (typeof all)[number]) => `${j.config.key.replace('/fashion-mnist', '')}@${j.seed}`;
  const only = flag('only');
  const jobs = only === undefined ? all : only.split(',').map((n) => {
    const j = all.find((x) => name(x) === n);
    if (!j) throw new ArgumentError('--only', `runs among ${all.map(name).join(', ')}`, n);
    return j;
  });
  mkdirSync(out, { recursive: true });
  const backend = await initBackend();
  const workers = pick('workers')?.[0];
  const pool = new WorkerPool(workers ? { size: workers } : {}); // default: one worker per core
  writeFileSync(`${out}/summary.json`, JSON.stringify({ mode, settings, ldfaRule: LDFA_RULE, subsetSeed: SUBSET_SEED, backend, workers: pool.size,
    runs: jobs.map(name), startedAt: new Date().toISOString() }, null, 1) + '\n');
  console.log(`${jobs.length} runs on ${pool.size} workers: ${jobs.map(name).join(', ')}`);
  const t0 = Date.now();
  // One pool.run per job, at most one per worker at a time, started in the given order (concurrent pool.run calls
  // would reach the queue in whatever order their export checks finish); each record is written when its run ends.
  const results: boolean[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      const j = jobs[i];
      // a line per epoch begun, read off the job's fraction done: a 12-epoch run is 15-30 minutes of silence otherwise
      let shown = 0;
      const onProgress = (p: PoolProgressReport): void => {
        const epoch = Math.min(settings.epochs, Math.floor(p.jobFraction * settings.epochs) + 1);
        if (!(epoch > shown)) return;
        shown = epoch;
        console.log(`${name(j)}: epoch ${epoch} of ${settings.epochs} begun (${((Date.now() - t0) / 60000).toFixed(1)} min)`);
      };
      const [r] = await pool.run<TrainingJobResult>([{ module: 'lib/rules/trainer', export: 'runTrainingJob', args: j.job }], { progress: false, onProgress });
      if (!r.ok) {
        console.error(`${name(j)} failed: ${r.error.name}: ${r.error.message}`);
        results[i] = false;
        continue;
      }
      const [record] = perRunRecords([{ config: j.config, seed: j.seed, result: r.value }]);
      appendFileSync(`${out}/runs.jsonl`, JSON.stringify({ run: name(j), finishedAt: new Date().toISOString(), ...record }) + '\n');
      console.log(`${name(j)} (${((Date.now() - t0) / 60000).toFixed(1)} min): test accuracy per epoch ${r.value.history.records.slice(1).map((e) => (100 * (e.testAccuracy as number)).toFixed(1)).join(' ')}`);
      results[i] = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(pool.size, jobs.length) }, lane));
  await pool.close();
  console.log(`${results.filter(Boolean).length} of ${jobs.length} runs in ${((Date.now() - t0) / 60000).toFixed(1)} min; records in ${out}/runs.jsonl`);
  if (!results.every(Boolean)) process.exitCode = 1;
}

main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
