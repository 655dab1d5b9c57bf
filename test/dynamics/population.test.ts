/**
 * Populations: the member grid and its checks; result files keyed by member
 * and settings; runPopulation on the worker pool reruns only what has no
 * saved result -- a second run computes nothing, a member that failed (an
 * interrupted run) is the only one computed again, changed settings compute
 * everything anew. Calls are counted from a log the job writes in the worker.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { closeDefaultPool, JobFailedError } from '../../lib/core';
import { memberFile, memberKey, populationMembers, runPopulation, settingsHash, type PopulationMember } from '../../lib/dynamics';

test('member grid, keys and files', () => {
  const m = populationMembers({ archs: ['vanilla', 'gru'], seeds: [0, 3] });
  assert.deepEqual(m.map((x) => `${x.arch}/${x.nonlinearity}/${x.seed}`), ['vanilla/tanh/0', 'vanilla/tanh/3', 'gru/tanh/0', 'gru/tanh/3']);
  assert.throws(() => populationMembers({ archs: ['gru'], nonlinearities: ['relu' as never], seeds: [0] }), /nonlinearities\[0\]/);
  assert.throws(() => populationMembers({ archs: ['gruu' as never], seeds: [0] }), /archs\[0\]/);
  assert.equal(memberKey(m[1]), 'arch=vanilla_nonlinearity=tanh_seed=3');
  assert.equal(settingsHash({ a: 1, b: [1, 2] }), settingsHash({ b: [1, 2], a: 1 }));
  assert.notEqual(settingsHash({ a: 1 }), settingsHash({ a: 2 }));
  assert.match(memberFile('/tmp/x', m[0], { a: 1 }), /^\/tmp\/x\/members\/arch=vanilla_nonlinearity=tanh_seed=0-[0-9a-f]{12}\.json$/);
  assert.throws(() => memberKey({ arch: 'a/b' }), /member\.arch/);
});

test('runPopulation resumes: saved members are read, failed (interrupted) ones rerun, new settings rerun all', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-population-'));
  const calls = () => (fs.existsSync(path.join(dir, 'calls.log')) ? fs.readFileSync(path.join(dir, 'calls.log'), 'utf8').trim().split('\n') : []);
  const members = populationMembers({ archs: ['vanilla', 'lstm'], seeds: [1, 2] });
  const job = { module: 'test/dynamics/fixtures/population-job', export: 'countingMember' };
  const run = (scale: number) => runPopulation<PopulationMember, { scale: number; dir: string }, { value: number; states: number[] }>({ members, settings: { scale, dir }, outDir: dir, job, run: { progress: false } });
  try {
    // First run with member seed 2 "interrupted": it fails, the other members are saved.
    fs.writeFileSync(path.join(dir, 'fail-2'), '');
    await assert.rejects(run(10), (e: Error) => e instanceof JobFailedError && /2 of 4 jobs failed/.test(e.message));
    assert.equal(calls().length, 4);
    assert.equal(fs.readdirSync(path.join(dir, 'members')).filter((f) => f.endsWith('.json')).length, 2);
    // Resume: only the two failed members run.
    fs.rmSync(path.join(dir, 'fail-2'));
    const second = await run(10);
    assert.deepEqual(calls().slice(4).sort(), ['lstm-2', 'vanilla-2']);
    assert.deepEqual(second.map((r) => r.resumed), [true, false, true, false]);
    assert.deepEqual(second.map((r) => r.result.value), [10, 20, 10, 20]);
    assert.deepEqual(second[0].result.states, [1, 0.5]); // typed arrays saved as plain arrays
    // Everything saved: nothing runs.
    const third = await run(10);
    assert.equal(calls().length, 6);
    assert.ok(third.every((r) => r.resumed));
    assert.deepEqual(third.map((r) => r.result), second.map((r) => r.result));
    // A corrupt file is recomputed, other settings recompute all.
    fs.writeFileSync(third[3].file, '{"format": "PopulationMember/1", "memb');
    await run(10);
    assert.equal(calls().length, 7);
    const other = await run(7);
    assert.equal(calls().length, 11);
    assert.deepEqual(other.map((r) => r.result.value), [7, 14, 7, 14]);
  } finally {
    await closeDefaultPool();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
