/**
 * A recurrent network: a cell, a trainable initial state and a linear readout
 * of the cell's hidden part. Runs on tfjs tensors for training and has a
 * float64 reference forward pass (used to check the gradients).
 *
 * A sequence classifier (`SequenceClassifier`) puts an embedding table in
 * front of a network: token id w enters the cell as x = E[w] (E [vocabSize x
 * embeddingSize], trained with the rest), id 0 is padding and leaves the
 * state unchanged, and the single logit y = h_last Wout + bout is read at each
 * sequence's last real token, p(positive) = sigmoid(y) (the convention of
 * Maheswaranathan et al. 2019, arXiv 1906.10720: a linear readout of the
 * final state). Its loss and gradients are bptt.ts' sequence functions.
 */
import * as tf from '@tensorflow/tfjs';
import { ownedVariable } from './variables';
import { ArgumentError, Rng, checkInteger, checkNumber, checkShape, readJsonFile, writeJsonFile } from '../core';
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

export interface SequenceClassifierOptions extends Omit<CellOptions, 'inputSize'> {
  kind: CellKind;
  /** Rows of the embedding table: token ids 0..vocabSize-1, id 0 the padding. */
  vocabSize: number;
  /** Width of an embedding, the cell's input size. */
  embeddingSize: number;
  /** SD of the embedding entries at initialisation (default 1). */
  embeddingScale?: number;
}

export interface SequenceClassifierJSON {
  network: NetworkJSON;
  vocabSize: number;
  embeddingSize: number;
  embedding: number[];
}

/** Id 0 is padding: it is skipped (the state carries over) wherever a sequence is run. */
export const SEQUENCE_PAD_ID = 0;

/**
 * An embedding table in front of a recurrent network with one output (a
 * logit), for binary classification of token sequences (see the header).
 * The network's initial state is zero and not trained.
 */
export class SequenceClassifier {
  readonly network: RecurrentNetwork;
  /** Embedding table [vocabSize, embeddingSize]. */
  readonly embedding: tf.Variable;
  readonly vocabSize: number;

  constructor(network: RecurrentNetwork, embedding: tf.Variable) {
    if (network.outputSize !== 1) throw new ArgumentError('network', 'a network with one output (the logit)', `${network.outputSize} outputs`);
    if (embedding.rank !== 2 || embedding.shape[1] !== network.inputSize) throw new ArgumentError('embedding', `a [vocabSize, ${network.inputSize}] table`, embedding.shape);
    this.network = network;
    this.embedding = embedding;
    this.vocabSize = embedding.shape[0];
  }

  static create(o: SequenceClassifierOptions): SequenceClassifier {
    const V = checkInteger('vocabSize', o.vocabSize, 2);
    const D = checkInteger('embeddingSize', o.embeddingSize, 1);
    const scale = checkNumber('embeddingScale', o.embeddingScale ?? 1, 0, 1e30);
    const network = RecurrentNetwork.create({ ...o, inputSize: D, outputSize: 1, trainInitialState: false });
    const values = new Rng(o.seed).child(3).normalArray(V * D, 0, scale) as Float32Array;
    return new SequenceClassifier(network, ownedVariable(tf.tensor2d(values, [V, D]), true));
  }

  get cell(): RecurrentCell {
    return this.network.cell;
  }
  get kind(): CellKind {
    return this.network.kind;
  }
  get embeddingSize(): number {
    return this.network.inputSize;
  }

  /** The variables training updates: the network's and the embedding table. */
  trainableVariables(): tf.Variable[] {
    return [...this.network.trainableVariables(), this.embedding];
  }

  /** Embeddings of token ids, [ids.length x embeddingSize] row-major, float64. */
  embed(ids: ArrayLike<number>): Float64Array {
    const D = this.embeddingSize;
    const E = this.embedding.dataSync();
    const out = new Float64Array(ids.length * D);
    for (let i = 0; i < ids.length; i++) {
      const w = ids[i];
      if (!Number.isInteger(w) || w < 0 || w >= this.vocabSize) throw new ArgumentError('ids', `integers in [0, ${this.vocabSize - 1}]`, `${w} at index ${i}`);
      for (let j = 0; j < D; j++) out[i * D + j] = E[w * D + j];
    }
    return out;
  }

  toJSON(): SequenceClassifierJSON {
    return { network: this.network.toJSON(), vocabSize: this.vocabSize, embeddingSize: this.embeddingSize, embedding: Array.from(this.embedding.dataSync()) };
  }

  static fromJSON(json: SequenceClassifierJSON): SequenceClassifier {
    if (!json || typeof json !== 'object' || !json.network) throw new ArgumentError('json', 'the output of SequenceClassifier.toJSON()', json);
    const V = checkInteger('json.vocabSize', json.vocabSize, 2);
    const D = checkInteger('json.embeddingSize', json.embeddingSize, 1);
    if (!Array.isArray(json.embedding) || json.embedding.length !== V * D) throw new ArgumentError('json.embedding', `${V * D} values`, json.embedding);
    const network = RecurrentNetwork.fromJSON(json.network);
    return new SequenceClassifier(network, ownedVariable(tf.tensor2d(json.embedding, [V, D]), true));
  }

  dispose(): void {
    this.network.dispose();
    this.embedding.dispose();
  }
}
