/**
 * Hand-built systems with fixed points known in closed form, to check the
 * finder (and a user's own pipeline) against an exact answer.
 *
 * Self-exciting units h_i' = tanh(w_i h_i) with gains w_i > 1 each have three
 * fixed points: 0 (unstable, slope w_i) and +-h*_i (stable, slope
 * w_i (1 - h*_i^2) < 1), so k units have 3^k fixed points, of which
 * C(k, m) 2^(k-m) have m unstable modes -- for k = 3 the 8 / 12 / 6 / 1 of a
 * cube's corners, edges, faces and centre, the 3-bit flip-flop's topology.
 * A rotation R mixes the units without changing any of this:
 * h' = R^T tanh(D R h), D = diag(w), fixed points R^T s with s_i in {0, +-h*_i}.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, Rng, checkInteger, checkNumber, orthonormalizeRows } from '../core';
import type { StepSystem } from './finder';

/**
 * A random orthogonal matrix (rows orthonormal): lib/core's row QR of seeded
 * standard normal rows, in order.
 */
export function randomOrthogonal(size: number, seed: number): number[][] {
  checkInteger('size', size, 1);
  const rng = new Rng(checkInteger('seed', seed, 0, 0xffffffff));
  const V = Float64Array.from({ length: size * size }, () => rng.normal());
  orthonormalizeRows(V, size, size, new Float64Array(size));
  return Array.from({ length: size }, (_, k) => Array.from(V.subarray(k * size, (k + 1) * size)));
}

export interface SelfExcitingUnits extends StepSystem {
  /** The rotation R (rows), state h = R^T s in the units' coordinates s. */
  rotation: number[][];
  gains: number[];
  /** Closed-form count of fixed points with 0, 1, ..., k unstable modes: C(k, m) 2^(k-m). */
  countsByUnstableModes: number[];
  /** Frees the system's constant tensors. */
  dispose(): void;
}

/**
 * h' = R^T tanh(D R h) (on row batches: tanh(h R^T D) R), D = diag(gains),
 * R = randomOrthogonal(gains.length, seed); no input. Gains must exceed 1
 * (three fixed points per unit); distinct gains keep every Jacobian's
 * eigenvalues distinct, so the eigenvectors the topology walk follows are unique.
 */
export function selfExcitingUnits(o: { gains?: readonly number[]; seed: number }): SelfExcitingUnits {
  const gains = (o.gains ?? [2, 2.5, 3]).map((w, i) => {
    if (!(checkNumber(`gains[${i}]`, w) > 1)) throw new ArgumentError(`gains[${i}]`, 'a gain > 1 (three fixed points per unit)', w);
    return w;
  });
  const k = gains.length;
  checkInteger('gains.length', k, 1);
  const rotation = randomOrthogonal(k, o.seed);
  const R = tf.tensor2d(rotation);
  const Rt = tf.transpose(R);
  const D = tf.tensor1d(gains);
  const choose = (m: number) => {
    let c = 1;
    for (let j = 0; j < m; j++) c = (c * (k - j)) / (j + 1);
    return c;
  };
  return {
    stateSize: k,
    inputSize: 0,
    rotation,
    gains,
    countsByUnstableModes: Array.from({ length: k + 1 }, (_, m) => choose(m) * 2 ** (k - m)),
    step: (h: tf.Tensor2D) => tf.tidy(() => tf.matMul(tf.tanh(tf.mul(tf.matMul(h, Rt), D)), R) as tf.Tensor2D),
    dispose: () => tf.dispose([R, Rt, D]),
  };
}
