/**
 * The Poisson likelihood loss on softplus rates (McIntosh et al. 2016;
 * Tanaka et al. 2019, the authors' PoissonNLLLoss on a softplus readout):
 * the network's last (dense or conv) layer gives z, the predicted rate is
 *
 *   r = softplus(z) = max(z, 0) + log1p(exp(-|z|))        (never overflows)
 *
 * and, for observed counts (or rates) y >= 0, the loss of one unit is the
 * negative log-likelihood of y under Poisson(r) without its constant log y!
 * (it does not depend on the network, so it moves neither gradient nor
 * optimum; drop it and the loss of a perfect fit is not 0):
 *
 *   l(z, y) = r - y log r,      L = (1/N) sum over examples and units of l
 *   dL/dz   = (1/N) (1 - y / r) sigmoid(z)                 (r' = sigmoid(z))
 *
 * Numerics for large |z| in float32: for z < -20, r = e^z (1 - e^z / 2 + ...)
 * is below 2.1e-9 and under -87 it leaves the normal float32 range (log r =
 * -inf, 0 * -inf = NaN); there log r = z + log(1 - e^z/2 ...) is taken as z
 * (relative error < 1e-9 / 20) and sigmoid(z) / r as 1 (error < 1.1e-9), so
 * l -> -y z and dL/dz -> (sigmoid(z) - y) / N stay exact to float32. For large
 * z, r = z + log1p(e^-z) and sigmoid(z) / r -> 1 / z need nothing special.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../core';

/** Below this z, log softplus(z) is taken as z and sigmoid(z) / softplus(z) as 1 (see the header). */
const SMALL_Z = -20;

/** softplus(z) = log(1 + e^z), computed as max(z, 0) + log1p(exp(-|z|)) so that neither sign of z overflows. */
export function softplus(z: tf.Tensor): tf.Tensor {
  if (!(z instanceof tf.Tensor)) throw new ArgumentError('z', 'a tf.Tensor', z);
  return tf.tidy(() => tf.relu(z).add(tf.log1p(tf.exp(tf.abs(z).neg()))));
}

/**
 * Batch-mean Poisson loss of softplus rates and its output error e = dL/dz
 * (see the header): z the outputs [N, ...], targets y >= 0 of the same
 * shape (not checked for sign: that would read the tensor back).
 */
export function poissonLossAndError(z: tf.Tensor, targets: tf.Tensor): { loss: tf.Scalar; error: tf.Tensor } {
  if (!(z instanceof tf.Tensor)) throw new ArgumentError('z', 'a tf.Tensor of outputs [N, ...]', z);
  if (!(targets instanceof tf.Tensor)) throw new ArgumentError('targets', 'a tf.Tensor of counts', targets);
  if (z.shape.join() !== targets.shape.join()) throw new ArgumentError('targets', `shape [${z.shape.join(', ')}] (the outputs')`, `[${targets.shape.join(', ')}]`);
  return tf.tidy(() => {
    const n = z.shape[0];
    const r = softplus(z);
    const small = z.less(SMALL_Z);
    // log r where r is a normal float32, z (its limit) below SMALL_Z; the unused branch's -inf is never selected.
    const logR = tf.where(small, z, tf.log(r));
    const s = tf.sigmoid(z);
    const ratio = tf.where(small, tf.onesLike(z), s.div(r));
    const loss = r.sub(targets.mul(logR)).sum().div(n) as tf.Scalar;
    const error = s.sub(targets.mul(ratio)).div(n);
    return { loss, error };
  });
}
