/**
 * The interrupt flag of lib/core (interrupt.ts) in a real process: a child
 * node process training a network gets SIGINT, as Ctrl-C or Jupyter's
 * Kernel > Interrupt send it, and must stop at a finished step and report
 * it, not be killed; without work listening, SIGINT still ends the process.
 * In-process checks of each loop live with its module's tests (rules,
 * dynamics, landscape, cnmf, pool).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { clearInterrupt, EventLoopYield, interruptRequested, lastInterruption, listening, onInterrupt, PROJECT_ROOT, requestInterrupt, throwIfInterrupted } from '../../lib/core';

const FIXTURE = path.join(PROJECT_ROOT, 'test/core/fixtures/interrupt-train.ts');
const KERNEL_FIXTURE = path.join(PROJECT_ROOT, 'test/core/fixtures/interrupt-kernel.py');

/** Runs the fixture, sends SIGINT once it printed 'ready', and returns its output and how it ended. */
function interruptChild(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { cwd: PROJECT_ROOT, env: { ...process.env, LDL_PROGRESS: 'silent' } });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const killer = setTimeout(() => child.kill('SIGKILL'), 120000);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!sent && stdout.includes('ready')) {
        sent = true;
        // Let it run a little, then interrupt as a terminal or Jupyter would.
        setTimeout(() => child.kill('SIGINT'), 300);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

test('SIGINT stops a training process at a finished step: it reports where, its weights are those of a run of exactly that many steps, and it is not killed', async () => {
  const r = await interruptChild([]);
  assert.equal(r.signal, null, `the process was killed by ${r.signal}; stderr: ${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  assert.equal(report.finished, undefined, 'the run was interrupted, not finished');
  const at = report.interrupted;
  assert.ok(at.steps > 0, JSON.stringify(at));
  assert.equal(at.steps, (at.epoch - 1) * at.batches + at.batch);
  assert.equal(report.records, at.epoch, 'epoch 0 and every finished epoch');
  assert.match(report.message, new RegExp(`train was interrupted in epoch ${at.epoch} after batch ${at.batch} of 10 \\(${at.steps} steps done`));
  assert.equal(report.sameWeightsAsExactRun, true);
});

test('SIGINT with no work listening ends the process as Node does by default', async () => {
  const r = await interruptChild(['idle']);
  assert.equal(r.signal, 'SIGINT');
});

test('Kernel > Interrupt in the project\'s tslab kernel stops a training cell at a finished step; the next cell finds the network still and the partial history', async (t) => {
  // scripts/kernel.mjs registers the kernel at setup; without it (no Jupyter here) there is nothing to test.
  const kernel = (await import(path.join(PROJECT_ROOT, 'scripts/kernel.mjs'))) as { kernelRegistered(): boolean; jupyterEnv(): NodeJS.ProcessEnv; jupyterPython: string };
  if (!kernel.kernelRegistered()) {
    t.skip('the tslab kernel is not registered (npm run setup)');
    return;
  }
  const r = spawnSync(kernel.jupyterPython, [KERNEL_FIXTURE, PROJECT_ROOT], { env: { ...kernel.jupyterEnv(), LDL_PROGRESS: 'silent' }, encoding: 'utf8', timeout: 400000 });
  const cells = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.equal(cells.length, 3, `${r.stdout}\n${r.stderr}`);
  assert.equal(cells[0].status, 'ok', cells[0].output);
  // The cell ends with the trainer's InterruptedError, not tslab's bare "Interrupted asynchronously".
  assert.equal(cells[1].status, 'error');
  assert.match(cells[1].output, /InterruptedError: train was interrupted in epoch \d+ after batch \d+ of 100 \(\d+ steps done/);
  assert.doesNotMatch(cells[1].output, /Interrupted asynchronously/);
  assert.equal(cells[2].status, 'ok', cells[2].output);
  const after = JSON.parse(cells[2].output.trim().split('\n').pop());
  assert.equal(after.unchanged, true, 'no training goes on after the interrupt');
  assert.ok(after.steps > 0);
  assert.equal(after.interrupted.steps, after.steps, 'the partial history counts every step the network took');
});

test('the flag: requested, heard by listeners, reported as heard only while work listens, cleared; throwIfInterrupted builds nothing until it throws', () => {
  try {
    assert.equal(interruptRequested(), false);
    let heard = 0;
    const off = onInterrupt(() => heard++);
    let built = 0;
    throwIfInterrupted('x', () => 'here', () => ++built);
    assert.equal(built, 0);
    assert.equal(requestInterrupt(), false, 'nothing listens');
    const stop = listening();
    assert.equal(requestInterrupt(), true, 'a listening loop will stop by itself');
    stop();
    stop();
    assert.equal(requestInterrupt(), false, 'stop() counts once');
    assert.equal(heard, 3);
    off();
    assert.throws(() => throwIfInterrupted('the loop', () => 'at step 3', () => ({ step: 3 })), /the loop was interrupted at step 3/);
    assert.deepEqual(lastInterruption()?.partial, { step: 3 });
    clearInterrupt();
    assert.equal(interruptRequested(), false);
    requestInterrupt();
    assert.equal(heard, 3, 'a removed listener hears nothing');
  } finally {
    clearInterrupt();
  }
});

test('EventLoopYield lets a timer run inside a busy asynchronous loop', async () => {
  let fired = false;
  setTimeout(() => (fired = true), 20);
  const pace = new EventLoopYield(10);
  const end = Date.now() + 5000;
  while (!fired && Date.now() < end) {
    const wait = pace.due();
    if (wait) await wait;
  }
  assert.equal(fired, true);
});
