/**
 * The cell table: every recurrent cell kind by its typed name. Each entry is
 * one file of this folder, whose class owns the cell's step (tfjs and float64),
 * its closed-form Jacobians, its fused fixed-point kernel and its BPTT step:
 *
 *   kind       file        F(h, x)
 *   vanilla    vanilla.ts  tanh(h Wh + x Wx + b)
 *   gru        gru.ts      z * h + (1 - z) * tanh(x Wx_c + (r * h) Whc + b_c)
 *   lstm       lstm.ts     state [c, h]: c' = sig(f + gateBias) c + sig(i) tanh(g), h' = sig(o) tanh(c')
 *   ugrnn      ugrnn.ts    u * h + (1 - u) * tanh(x Wx_c + h Wh_c + b_c)
 *
 * Adding a cell: a file with a RecurrentCell subclass and its CellDefinition,
 * and one line here. A name that is not in the table is rejected wherever a
 * kind enters (createCell, cellFromJSON, RecurrentNetwork.create/fromJSON,
 * fusedLossAndGradients and so trainNetwork's default engine) with the list of known kinds.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkFinite, checkInteger, checkNumber, describe } from '../../core';
import { CellDefinition, CellJSON, CellOptions, RecurrentCell, variablesFromJSON } from './cell';
import { GRU } from './gru';
import { LSTM } from './lstm';
import { UGRNN } from './ugrnn';
import { VANILLA } from './vanilla';

/** Kind name -> definition. Object keys are unique by construction; `checkTable` rejects a key that differs from its entry's kind. */
export const CELL_TABLE = {
  vanilla: VANILLA,
  gru: GRU,
  lstm: LSTM,
  ugrnn: UGRNN,
};

/** The typed kind names: the keys of the table. */
export type CellKind = keyof typeof CELL_TABLE;

export const CELL_KINDS: readonly CellKind[] = Object.freeze(Object.keys(CELL_TABLE) as CellKind[]);

(function checkTable() {
  for (const [key, def] of Object.entries(CELL_TABLE) as [string, CellDefinition][]) {
    if (def.kind !== key) throw new Error(`cell table: entry '${key}' holds the definition of '${def.kind}'`);
  }
})();

/** The table entry of `kind`; anything else throws an ArgumentError naming `name` and the known kinds. */
export function cellDefinition(kind: unknown, name = 'kind'): CellDefinition<CellKind> {
  if (typeof kind !== 'string' || !Object.prototype.hasOwnProperty.call(CELL_TABLE, kind)) {
    throw new ArgumentError(name, `one of ${CELL_KINDS.map((k) => JSON.stringify(k)).join(', ')} (the cell table)`, describe(kind));
  }
  return CELL_TABLE[kind as CellKind];
}

/** Creates a freshly initialised cell of the given kind. */
export function createCell(kind: CellKind, options: CellOptions): RecurrentCell {
  const def = cellDefinition(kind, 'kind');
  checkInteger('units', options.units, 1);
  checkInteger('inputSize', options.inputSize, 1);
  checkInteger('seed', options.seed, 0, 0xffffffff);
  // Bounded far below float32's largest value (3.4e38): the weights are float32 draws times the scale.
  if (options.recurrentScale !== undefined) checkNumber('recurrentScale', options.recurrentScale, 0, 1e30);
  if (options.inputScale !== undefined) checkNumber('inputScale', options.inputScale, 0, 1e30);
  if (options.gateBias !== undefined) checkNumber('gateBias', options.gateBias, -1e30, 1e30);
  return def.init(options);
}

/** Rebuilds a cell from `toJSON()` output. */
export function cellFromJSON(json: CellJSON): RecurrentCell {
  const def = cellDefinition(json?.kind, 'json.kind');
  checkInteger('json.units', json.units, 1);
  checkInteger('json.inputSize', json.inputSize, 1);
  if (json.params === null || typeof json.params !== 'object') throw new ArgumentError('json.params', 'the params object of toJSON()', json.params);
  for (const [k, p] of Object.entries(json.params)) {
    const size = Array.isArray(p?.shape) ? p.shape.reduce((a, b) => a * b, 1) : NaN;
    if (!Array.isArray(p?.values) || p.values.length !== size) throw new ArgumentError(`json.params.${k}`, `values matching its shape [${p?.shape}]`, p?.values);
    checkFinite(`json.params.${k}.values`, p.values, 'float32');
  }
  const params: Record<string, tf.Variable> = variablesFromJSON(json.params);
  return def.restore(json, params);
}
