/**
 * Populations on the worker pool: a job trained in a worker gives the same
 * network as the same job run in this process (seeded, one BLAS thread each).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { closeDefaultPool, initBackend } from '../../lib/core';
import { RecurrentNetwork, StudyJobArgs, flipFlop, networkLossF64, runStudies, searchFixedPoints, studyJob } from '../../lib/dynamics';

test('runStudies trains and analyses networks in workers, identical to the in-process job', async () => {
  await initBackend({ print: false });
  const job = (kind: 'vanilla' | 'gru', seed: number): StudyJobArgs => ({
    network: { kind, units: 6, inputSize: 3, outputSize: 3, seed },
    train: { task: 'flipFlop', taskOptions: { steps: 12 }, steps: 15, batchSize: 8, learningRate: 0.02, seed },
    fixedPoints: { trials: 8, initialStates: 16, noise: 0.1, seed, finder: { maxIters: 50 } },
  });
  try {
    const jobs = [job('vanilla', 1), job('gru', 2)];
    const remote = await runStudies(jobs, { progress: false });
    assert.equal(remote.length, 2);
    const local = await studyJob(jobs[1]);
    assert.deepEqual(remote[1].train.losses, local.train.losses, 'worker and main process give the same training curve');
    const a = RecurrentNetwork.fromJSON(remote[1].network);
    const b = RecurrentNetwork.fromJSON(local.network);
    const batch = flipFlop({ batch: 4, steps: 12, seed: 9 });
    assert.equal(networkLossF64(a, batch), networkLossF64(b, batch));
    const fp = searchFixedPoints(remote[1].searches[0]);
    assert.deepEqual(Array.from(fp.qstar), Array.from(searchFixedPoints(local.searches[0]).qstar));
    a.dispose();
    b.dispose();
  } finally {
    await closeDefaultPool();
  }
});
