/**
 * What the fixed-point finder, the linearisation and the topology walk
 * analyse: a discrete-time map h' = F(h, u) of a batch of states, with
 * optional float64 reference, closed-form Jacobians and a fused float32
 * q-and-gradient kernel. The built-in cells (cells/) implement all of it; a
 * user's own system needs only `step` and the sizes.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * A q-and-gradient kernel bound to fixed inputs u [N x inputSize]: for states
 * x [N x stateSize] it fills q [N], q_i = 1/2 ||F(x_i, u_i) - x_i||^2, and the
 * gradient of mean(q) with respect to x [N x stateSize].
 */
export type QGradKernel = (x: Float32Array, q: Float32Array, grad: Float32Array) => void;

/** Anything the fixed-point finder can analyse: a map of state and input. */
export interface DynamicalSystem {
  readonly stateSize: number;
  readonly inputSize: number;
  /** One step on a batch: state [B, stateSize], input [B, inputSize] -> next state [B, stateSize]. */
  step(state: tf.Tensor2D, input: tf.Tensor2D): tf.Tensor2D;
  /** Optional float64 reference of the same map, for one state. */
  stepF64?(state: Float64Array, input: Float64Array): Float64Array;
  /** Optional closed-form Jacobians (row-major, [stateSize x stateSize] and [stateSize x inputSize]). */
  jacobianF64?(state: Float64Array, input: Float64Array): { dState: Float64Array; dInput: Float64Array };
  /** Optional fused float32 kernel for the fixed-point search (see `QGradKernel`), inputs u [N x inputSize] held fixed. */
  qGradKernel?(u: Float32Array, N: number): QGradKernel;
}
