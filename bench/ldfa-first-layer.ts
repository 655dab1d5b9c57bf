/**
 * What the dormant first-layer LDFA pathway saves (issue 31, "Also";
 * lib/rules/low-rank.ts): the network sends nothing below its first
 * parametric layer, so that layer's P and Q are no longer made or trained.
 * Times training steps of the MLP 784-256-256-10 with LDFA at full rank,
 * the first pathway dormant (now) against the same network whose first
 * pathway is woken by `setState` with full-size P and Q (then they are
 * trained every step, as before the change; the one-off SVD of the
 * 'normative' start is not counted), in alternating rounds, medians; on the
 * fused path (train()'s default) and the reference tfjs path. Synthetic
 * inputs N(0, 1) and random labels (the cost does not depend on the data).
 * Wall and CPU time (process.cpuUsage: this process, every thread) per step.
 * Not part of `npm run bench` (no external reference): a before/after ratio.
 *
 *   node --import tsx bench/ldfa-first-layer.ts [--steps 60] [--rounds 5] [--batch 128]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, median, Rng } from '../lib/core';
import { LowRankPathway, mlp, Network, train } from '../lib/rules';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const steps = arg('steps', 60);
const rounds = arg('rounds', 5);
const batch = arg('batch', 128);

async function main(): Promise<void> {
  const backend = await initBackend({ print: false });
  const rng = new Rng(0);
  const count = steps * batch;
  const data = { x: rng.normalArray(count * 784) as Float32Array, y: Int32Array.from({ length: count }, () => rng.int(10)), count };
  const rows: Record<string, string | number>[] = [];
  for (const ldfaRule of ['raf', 'normative'] as const) {
    for (const fused of [true, false]) {
      const times: Record<'dormant' | 'woken', number[]> = { dormant: [], woken: [] };
      const cpu: Record<'dormant' | 'woken', number[]> = { dormant: [], woken: [] };
      for (let round = 0; round < rounds; round++) {
        for (const variant of round % 2 === 0 ? (['dormant', 'woken'] as const) : (['woken', 'dormant'] as const)) {
          const net = new Network(mlp({ hidden: [256, 256], seed: 1, rule: 'ldfa', feedback: { rank: 'full', ldfaRule } }));
          const p = net.pathways[0] as LowRankPathway;
          if (variant === 'woken') {
            const P = tf.eye(256);
            const Q = tf.randomNormal([784, 256], 0, 0.05, 'float32', 3);
            p.setState({ P, Q });
            tf.dispose([P, Q]);
          }
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          await train(net, data, { epochs: 1, batchSize: batch, alignment: false, progress: false, fused, seed: round, optimizer: { type: 'adam', lr: 1e-3 } });
          times[variant].push((performance.now() - t0) / steps);
          const c = process.cpuUsage(c0);
          cpu[variant].push((c.user + c.system) / 1000 / steps);
          net.dispose();
        }
      }
      const d = median(times.dormant);
      const w = median(times.woken);
      const cd = median(cpu.dormant);
      const cw = median(cpu.woken);
      rows.push({
        ldfaRule, path: fused ? 'fused' : 'tfjs',
        'wall ms/step dormant': d.toFixed(2), 'wall ms/step woken (before)': w.toFixed(2), 'wall saved': `${(100 * (1 - d / w)).toFixed(1)}%`,
        'CPU ms/step dormant': cd.toFixed(2), 'CPU ms/step woken': cw.toFixed(2), 'CPU saved': `${(100 * (1 - cd / cw)).toFixed(1)}%`,
      });
    }
  }
  console.log(`backend ${backend.backend}; MLP 784-256-256-10, LDFA rank full, batch ${batch}, ${steps} steps per run, ${rounds} rounds alternating, medians`);
  console.table(rows);
}

void main();
