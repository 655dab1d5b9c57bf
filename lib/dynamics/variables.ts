import * as tf from '@tensorflow/tfjs';

/**
 * A tf.Variable holding `initial`, which is then disposed: tf.variable keeps
 * its own reference to the data, so the initial tensor would otherwise leak.
 */
export function ownedVariable(initial: tf.Tensor, trainable = true): tf.Variable {
  const v = tf.variable(initial, trainable);
  initial.dispose();
  return v;
}
