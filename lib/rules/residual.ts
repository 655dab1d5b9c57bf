/**
 * A residual block (He et al. 2016, arXiv 1512.03385): y = body(x) + S(x),
 * the body any sequence of layers (conv - batch norm - relu - conv - batch
 * norm in a ResNet), S the parameter-free shortcut of the paper's CIFAR
 * networks ("option A"): the identity when the body keeps the shape, else
 * subsampling with stride s and zero channels appended,
 *   S(x)[n, i, j, c] = x[n, s i, s j, c] for c < C_in, 0 for C_in <= c < C_out
 * (a dense body: zero features appended). S is the 1x1 convolution (dense:
 * product) with the 0/1 kernel E[c, c] = 1, so S^T is conv2dTranspose with
 * E (dense: dy E^T), exact in float32 (one product by 1 per entry).
 * Private to lib/rules; exported through index.ts.
 *
 *   backward (exact)  dL/dx = J_body^T dy + S^T dy
 *   backward (rule)   the network walks into the body (sequence.ts): its
 *                     parametric layers send their signal through their
 *                     pathways, and S^T dy, the skip path, is added exactly
 *                     whatever the rule (under FA the skip carries the true
 *                     signal, the body the fed-back one)
 *   jvp               dy = J_body dx + S(dx), the body's parameters fixed (a
 *                     ParamTangent addresses one layer's weight and bias;
 *                     the body's layers are reached through the network)
 * A post-activation ResNet puts the activation after the block, as its own
 * layer. Standalone `forward`, `backward` and `jvp` recompute the body's
 * trace from the input (the network keeps it from its own forward pass).
 * The body's layers are owned by the network that holds the block (their
 * weights are among its parametric layers); `dispose` frees only E.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, Rng } from '../core';
import { LayerSpec, type Layer } from './layers';
import { disposeSequenceTrace, exactBackward, forwardSequence, jvpSequence } from './sequence';

type ResidualSpec = Extract<LayerSpec, { kind: 'residual' }>;

/** The stride s with ceil(n / s) = out for both spatial sizes, or null. */
function shortcutStride(h: number, w: number, oh: number, ow: number): number | null {
  for (let s = 1; s <= Math.max(h, w); s++) if (Math.ceil(h / s) === oh && Math.ceil(w / s) === ow) return s;
  return null;
}

export class Residual implements Layer {
  readonly kind = 'residual' as const;
  inputShape: number[] = [];
  outputShape: number[] = [];
  readonly body: Layer[];
  /** The shortcut's stride (1 for a dense body). */
  stride = 1;
  /** The shortcut's 0/1 embedding (null: S is the identity). */
  private embed: tf.Tensor | null = null;
  /** `layerFromSpec` builds the body's layers (passed in so this file does not import the layer table that imports it). */
  constructor(readonly spec: ResidualSpec, layerFromSpec: (spec: LayerSpec) => Layer) {
    if (!Array.isArray(spec.body) || spec.body.length === 0) throw new ArgumentError('residual.body', 'a non-empty array of layer specs', spec.body);
    this.body = spec.body.map((s, j) => {
      try {
        return layerFromSpec(s);
      } catch (e) {
        throw new ArgumentError(`residual.body[${j}]`, 'a valid layer spec', (e as Error).message);
      }
    });
  }
  build(inputShape: number[], rng: Rng): void {
    let shape = inputShape;
    this.body.forEach((layer, j) => {
      try {
        layer.build(shape, rng.child(j));
      } catch (e) {
        throw new ArgumentError(`residual.body[${j}] (${layer.kind})`, 'an input shape it accepts', (e as Error).message);
      }
      shape = layer.outputShape;
    });
    this.inputShape = inputShape.slice();
    this.outputShape = shape.slice();
    this.embed?.dispose();
    this.embed = null;
    if (shape.join() === inputShape.join()) return;
    const want = 'an output shape the shortcut reaches: [ceil(H/s), ceil(W/s), C_out >= C_in] or [F_out >= F_in]';
    const got = `[${inputShape.join(', ')}] -> [${shape.join(', ')}]`;
    if (shape.length !== inputShape.length || (shape.length !== 1 && shape.length !== 3)) throw new ArgumentError('residual.body', want, got);
    const cin = inputShape[inputShape.length - 1];
    const cout = shape[shape.length - 1];
    if (cout < cin) throw new ArgumentError('residual.body', want, got);
    if (shape.length === 3) {
      const s = shortcutStride(inputShape[0], inputShape[1], shape[0], shape[1]);
      if (s === null) throw new ArgumentError('residual.body', want, got);
      this.stride = s;
    }
    const e = new Float32Array(cin * cout);
    for (let c = 0; c < cin; c++) e[c * cout + c] = 1;
    this.embed = shape.length === 3 ? tf.tensor4d(e, [1, 1, cin, cout]) : tf.tensor2d(e, [cin, cout]);
  }
  /** S(x): identity, or subsample and append zero channels. */
  shortcut(x: tf.Tensor): tf.Tensor {
    if (!this.embed) return x.clone();
    if (this.embed.rank === 2) return tf.matMul(x as tf.Tensor2D, this.embed as tf.Tensor2D);
    return tf.conv2d(x as tf.Tensor4D, this.embed as tf.Tensor4D, this.stride, 'valid');
  }
  /** S^T dy: the skip path's signal to the input. */
  bypass(dy: tf.Tensor): tf.Tensor {
    if (!this.embed) return dy.clone();
    if (this.embed.rank === 2) return tf.matMul(dy as tf.Tensor2D, this.embed as tf.Tensor2D, false, true);
    const [h, w, c] = this.inputShape;
    return tf.conv2dTranspose(dy as tf.Tensor4D, this.embed as tf.Tensor4D, [dy.shape[0], h, w, c], this.stride, 'valid');
  }
  /** body(x) + S(x), from the body's output. */
  mergeBody(bodyOutput: tf.Tensor, input: tf.Tensor): tf.Tensor {
    return tf.tidy(() => bodyOutput.add(this.shortcut(input)));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const trace = forwardSequence(this.body, x);
      const y = this.mergeBody(trace.output, x);
      disposeSequenceTrace(trace);
      return y;
    });
  }
  /** Exact dL/dx (BP through the body). */
  backward(dy: tf.Tensor, input: tf.Tensor): tf.Tensor {
    return tf.tidy(() => exactBackward(this.body, forwardSequence(this.body, input), dy).add(this.bypass(dy)));
  }
  /** J_body dx + S(dx), the body's parameters fixed (a parameter tangent is not taken: see the header). */
  jvp(input: tf.Tensor, _output: tf.Tensor, dx: tf.Tensor | null): tf.Tensor {
    if (!dx) return tf.zeros([input.shape[0], ...this.outputShape]);
    return tf.tidy(() => this.mergeBody(jvpSequence(this.body, forwardSequence(this.body, input), dx), dx));
  }
  setTraining(training: boolean): void {
    this.body.forEach((l) => l.setTraining?.(training));
  }
  dispose(): void {
    this.embed?.dispose();
    this.embed = null;
  }
}
