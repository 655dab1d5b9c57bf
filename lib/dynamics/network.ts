/**
 * A recurrent network: a cell, a trainable initial state and a linear readout
 * of the cell's hidden part. Runs on tfjs tensors for training and has a
 * float64 reference forward pass (used to check the gradients).
 */
import * as tf from '@tensorflow/tfjs';
import { ownedVariable } from './variables';
import { ArgumentError, Rng, checkInteger, checkShape, readJsonFile, writeJsonFile } from '../core';
import { CellJSON, CellOptions, RecurrentCell } from './cells/cell';
import { CellKind, cellFromJSON, createCell } from './cells/table';

export interface RecurrentNetworkOptions extends Omit<CellOptions, 'inputSize'> {
  kind: CellKind;
  inputSize: number;
  outputSize: number;
  /** Learn the initial state (default true, as in FixedPointFinder's flip-flop example). */
  trainInitialState?: boolean;
}

export interface NetworkJSON {
  cell: CellJSON;
  outputSize: number;
  trainInitialState: boolean;
  Wout: number[];
  bout: number[];
  h0: number[];
}

export class RecurrentNetwork {
  readonly cell: RecurrentCell;
  readonly outputSize: number;
  readonly trainInitialState: boolean;
  /** Readout weights [units, outputSize] and bias [outputSize]. */
  readonly Wout: tf.Variable;
  readonly bout: tf.Variable;
  /** Initial state [stateSize]. */
  readonly h0: tf.Variable;

  constructor(cell: RecurrentCell, outputSize: number, Wout: tf.Variable, bout: tf.Variable, h0: tf.Variable, trainInitialState: boolean) {
    this.cell = cell;
    this.outputSize = outputSize;
    this.Wout = Wout;
    this.bout = bout;
    this.h0 = h0;
    this.trainInitialState = trainInitialState;
  }

  static create(options: RecurrentNetworkOptions): RecurrentNetwork {
    checkInteger('outputSize', options.outputSize, 1);
    const cell = createCell(options.kind, options);
    const rng = new Rng(options.seed).child(1);
    const n = cell.units;
    const o = options.outputSize;
    const Wout = ownedVariable(tf.tensor2d(rng.normalArray(n * o, 0, 1 / Math.sqrt(n)) as Float32Array, [n, o]), true);
    const bout = ownedVariable(tf.zeros([o]), true);
    const h0 = ownedVariable(tf.zeros([cell.stateSize]), options.trainInitialState ?? true);
    return new RecurrentNetwork(cell, o, Wout, bout, h0, options.trainInitialState ?? true);
  }

  get kind(): CellKind {
    return this.cell.kind;
  }
  get inputSize(): number {
    return this.cell.inputSize;
  }
  get stateSize(): number {
    return this.cell.stateSize;
  }

  /** The variables training updates. */
  trainableVariables(): tf.Variable[] {
    const v = [...Object.values(this.cell.params), this.Wout, this.bout];
    if (this.trainInitialState) v.push(this.h0);
    return v;
  }

  /** Readout of states [B, stateSize] -> outputs [B, outputSize]. */
  readout(states: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(this.cell.hidden(states), this.Wout as tf.Tensor2D), this.bout) as tf.Tensor2D);
  }

  /**
   * Runs the network over inputs [B, T, inputSize] from `initialState`
   * ([B, stateSize]; default the learned h0 for every trial). Returns the
   * states after each step [B, T, stateSize] and the outputs [B, T, outputSize].
   */
  run(inputs: tf.Tensor3D, initialState?: tf.Tensor2D): { states: tf.Tensor3D; outputs: tf.Tensor3D } {
    if (!(inputs instanceof tf.Tensor) || inputs.rank !== 3) throw new ArgumentError('inputs', 'a rank-3 tensor [batch, steps, inputSize]', inputs);
    checkShape('inputs', inputs.shape, [-1, -1, this.inputSize]);
    if (initialState) checkShape('initialState', initialState.shape, [inputs.shape[0], this.stateSize]);
    return tf.tidy(() => {
      const xs = tf.transpose(inputs, [1, 0, 2]) as tf.Tensor3D;
      const r = this.runTimeMajor(xs, initialState);
      return { states: tf.transpose(r.states, [1, 0, 2]) as tf.Tensor3D, outputs: tf.transpose(r.outputs, [1, 0, 2]) as tf.Tensor3D };
    });
  }

  /**
   * `run` on time-major tensors: inputs [T, B, inputSize] -> states
   * [T, B, stateSize] and outputs [T, B, outputSize]. Training uses this form:
   * per-step slices along the leading axis are contiguous, and no transpose
   * (slow on tfjs' CPU kernels) enters the differentiated graph.
   */
  runTimeMajor(inputs: tf.Tensor3D, initialState?: tf.Tensor2D): { states: tf.Tensor3D; outputs: tf.Tensor3D } {
    if (!(inputs instanceof tf.Tensor) || inputs.rank !== 3) throw new ArgumentError('inputs', 'a rank-3 tensor [steps, batch, inputSize]', inputs);
    checkShape('inputs', inputs.shape, [-1, -1, this.inputSize]);
    const [T, B] = inputs.shape;
    if (initialState) checkShape('initialState', initialState.shape, [B, this.stateSize]);
    return tf.tidy(() => {
      let h = initialState ?? (tf.tile(tf.reshape(this.h0, [1, -1]), [B, 1]) as tf.Tensor2D);
      const xs = tf.unstack(inputs, 0) as tf.Tensor2D[];
      const hs: tf.Tensor2D[] = [];
      for (let t = 0; t < T; t++) {
        h = this.cell.step(h, xs[t]);
        hs.push(h);
      }
      const states = tf.stack(hs, 0) as tf.Tensor3D;
      const flat = tf.reshape(states, [T * B, this.stateSize]) as tf.Tensor2D;
      const outputs = tf.reshape(this.readout(flat), [T, B, this.outputSize]) as tf.Tensor3D;
      return { states, outputs };
    });
  }

  /** Float64 reference forward pass of one trial: inputs [T * inputSize] -> states [T][stateSize], outputs [T][outputSize]. */
  runF64(inputs: Float64Array, steps: number): { states: Float64Array[]; outputs: Float64Array[] } {
    const m = this.inputSize;
    if (inputs.length !== steps * m) throw new ArgumentError('inputs', `${steps * m} values (steps x inputSize)`, inputs);
    const W = Float64Array.from(this.Wout.dataSync());
    const bo = Float64Array.from(this.bout.dataSync());
    let h: Float64Array = Float64Array.from(this.h0.dataSync());
    const n = this.cell.units;
    const off = this.cell.hiddenOffset;
    const states: Float64Array[] = [];
    const outputs: Float64Array[] = [];
    for (let t = 0; t < steps; t++) {
      h = this.cell.stepF64(h, inputs.subarray(t * m, (t + 1) * m));
      states.push(h);
      const y = Float64Array.from(bo);
      for (let i = 0; i < n; i++) for (let j = 0; j < this.outputSize; j++) y[j] += h[off + i] * W[i * this.outputSize + j];
      outputs.push(y);
    }
    return { states, outputs };
  }

  toJSON(): NetworkJSON {
    return {
      cell: this.cell.toJSON(),
      outputSize: this.outputSize,
      trainInitialState: this.trainInitialState,
      Wout: Array.from(this.Wout.dataSync()),
      bout: Array.from(this.bout.dataSync()),
      h0: Array.from(this.h0.dataSync()),
    };
  }

  static fromJSON(json: NetworkJSON): RecurrentNetwork {
    if (!json || typeof json !== 'object' || !json.cell) throw new ArgumentError('json', 'the output of RecurrentNetwork.toJSON()', json);
    const cell = cellFromJSON(json.cell);
    const n = cell.units;
    const o = json.outputSize;
    if (json.Wout.length !== n * o) throw new ArgumentError('json.Wout', `${n * o} values`, json.Wout);
    const Wout = ownedVariable(tf.tensor2d(json.Wout, [n, o]), true);
    const bout = ownedVariable(tf.tensor1d(json.bout), true);
    const h0 = ownedVariable(tf.tensor1d(json.h0), json.trainInitialState);
    return new RecurrentNetwork(cell, o, Wout, bout, h0, json.trainInitialState);
  }

  /** Writes the network as JSON. */
  save(file: string): void {
    writeJsonFile(file, this.toJSON());
  }

  static load(file: string): RecurrentNetwork {
    return RecurrentNetwork.fromJSON(readJsonFile(file, 'an existing network file written by save()') as NetworkJSON);
  }

  dispose(): void {
    this.cell.dispose();
    this.Wout.dispose();
    this.bout.dispose();
    this.h0.dispose();
  }
}
