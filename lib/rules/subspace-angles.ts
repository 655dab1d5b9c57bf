/**
 * errorSubspaceAngles: how far each low-rank pathway's P is from the
 * subspace of the signal it compresses, measured on one batch of a network.
 * Private to lib/rules; exported through index.ts. Kept apart from
 * alignment.ts because it needs the Network, and network.ts imports
 * alignment.ts (one file each way would be an import circle).
 */
import * as tf from '@tensorflow/tfjs';
import { checkShape } from '../core';
import { rowCovariance } from './alignment';
import { LowRankPathway } from './low-rank';
import type { Network } from './network';

/**
 * For each parametric layer with a low-rank pathway: principal angles
 * (degrees, largest first) between P's row space and the top-r eigenvectors
 * of the covariance of what P's Oja rule sees (`ojaRows`), measured on one
 * batch: the layer's delta as delivered by the rule (rows = examples, and
 * positions for conv; 'ldfa'), the output error e ('dldfa'), or the targets
 * where 'raf' learns from the labels. null for other pathways and for a
 * dormant first-layer pathway (no P: no signal reaches it). No parameter
 * changes.
 */
export function errorSubspaceAngles(net: Network, x: tf.Tensor, targets: tf.Tensor): (number[] | null)[] {
  checkShape('x', x.shape, [-1, ...net.inputShape]);
  checkShape('targets', targets.shape, [x.shape[0], net.outputSize]);
  const trace = net.forward(x);
  const { loss, error } = net.lossAndError(trace.output, targets);
  const g = net.backward(trace, error, 'rule');
  try {
    return net.pathways.map((p, k) => {
      if (!(p instanceof LowRankPathway) || p.dormant) return null; // the first layer's holds no P (low-rank.ts)
      const rows = tf.tidy(() => p.ojaRows(g.deltas[k], error, targets).clone());
      const C = rowCovariance(rows);
      rows.dispose();
      return p.subspaceAngles(C);
    });
  } finally {
    tf.dispose([loss, error]);
    net.disposeGradients(g);
    net.disposeTrace(trace);
  }
}
