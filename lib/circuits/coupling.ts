/**
 * Recurrent couplings of rate circuits: what a network needs from J is the
 * product J r (r = phi(x), N rates), so every kind is an object with `apply`:
 *
 *   dense                 J an N x N row-major Float64Array       J r by one GEMM (native BLAS)
 *   sparse                J in compressed rows (CSR)              sum over the stored entries of each row
 *   low rank plus dense   J = D + U V^T, U and V N x R            D r + U (V^T r): three GEMMs
 *
 * Random draws (one seed each):
 *   dense     J_ij ~ N(0, g^2 / N)                              (RandomRateNetwork's couplings)
 *   sparse    each J_ij nonzero with probability p, then N(0, g^2 / (p N))   (Sussillo & Abbott 2009)
 *
 * The dense kind holds its matrix by reference, so an RLS rule that edits the
 * matrix in place (full-FORCE) edits the network's coupling.
 *
 * Exports: Coupling, DenseCoupling, SparseCoupling, LowRankPlusDenseCoupling, sparseRandomCoupling.
 */
import { ArgumentError, Rng, checkFinite, checkInteger, checkNumber, gemm } from '../core';

/** A square coupling: out = J r, or out += J r with `accumulate`. */
export interface Coupling {
  readonly kind: 'dense' | 'sparse' | 'low-rank-plus-dense';
  readonly N: number;
  apply(r: Float64Array, out: Float64Array, accumulate?: boolean): void;
}

/** Checks that `J` holds a square matrix: N x N entries, or rows of equal length N. Returns (N, row-major copy or the array). */
function squareMatrix(name: string, J: Float64Array | readonly (readonly number[])[], N?: number): { N: number; values: Float64Array } {
  if (J instanceof Float64Array) {
    const n = N ?? Math.round(Math.sqrt(J.length));
    if (n < 1 || n * n !== J.length) throw new ArgumentError(name, `a square matrix: ${N === undefined ? 'N^2' : `${n} x ${n} = ${n * n}`} entries`, `${J.length} entries`);
    checkFinite(name, J);
    return { N: n, values: J };
  }
  if (!Array.isArray(J) || J.length === 0) throw new ArgumentError(name, 'a square matrix (Float64Array of N^2 entries or N rows of N numbers)', J);
  const n = J.length;
  const values = new Float64Array(n * n);
  J.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== n) throw new ArgumentError(name, `a square matrix: ${n} rows of ${n} entries`, `row ${i} with ${Array.isArray(row) ? row.length : typeof row} entries`);
    for (let j = 0; j < n; j++) values[i * n + j] = row[j];
  });
  checkFinite(name, values);
  return { N: n, values };
}

/** Dense J (row-major, J[i * N + j] from j to i), held by reference. */
export class DenseCoupling implements Coupling {
  readonly kind = 'dense' as const;
  readonly N: number;
  readonly J: Float64Array;
  /** `J`: N x N entries (N inferred, or checked against `N`), or N rows of N numbers (copied). */
  constructor(J: Float64Array | readonly (readonly number[])[], N?: number) {
    const m = squareMatrix('J', J, N === undefined ? undefined : checkInteger('N', N, 1));
    this.N = m.N;
    this.J = m.values;
  }

  apply(r: Float64Array, out: Float64Array, accumulate = false): void {
    gemm(1, this.N, this.N, r, this.J, out, { transB: true, beta: accumulate ? 1 : 0 });
  }
}

/** Sparse J in compressed rows: row i's entries are values[rowStart[i] .. rowStart[i+1]) at columns columns[...]. */
export class SparseCoupling implements Coupling {
  readonly kind = 'sparse' as const;
  readonly N: number;
  constructor(N: number, readonly rowStart: Int32Array, readonly columns: Int32Array, readonly values: Float64Array) {
    this.N = checkInteger('N', N, 1);
    if (rowStart.length !== this.N + 1 || rowStart[0] !== 0 || rowStart[this.N] !== values.length) {
      throw new ArgumentError('rowStart', `N + 1 = ${this.N + 1} offsets from 0 to values.length = ${values.length}`, `${rowStart.length} offsets ending at ${rowStart[rowStart.length - 1]}`);
    }
    if (columns.length !== values.length) throw new ArgumentError('columns', `${values.length} column indices (one per value)`, columns.length);
    for (let e = 0; e < columns.length; e++) if (!(columns[e] >= 0 && columns[e] < this.N)) throw new ArgumentError('columns', `indices in [0, ${this.N})`, columns[e]);
    checkFinite('values', values);
  }

  /** Number of stored entries. */
  get nonzeros(): number {
    return this.values.length;
  }

  apply(r: Float64Array, out: Float64Array, accumulate = false): void {
    const { rowStart, columns, values } = this;
    for (let i = 0; i < this.N; i++) {
      let s = 0;
      for (let e = rowStart[i]; e < rowStart[i + 1]; e++) s += values[e] * r[columns[e]];
      out[i] = accumulate ? out[i] + s : s;
    }
  }

  /** The dense N x N matrix (for tests and small networks). */
  toDense(): Float64Array {
    const J = new Float64Array(this.N * this.N);
    for (let i = 0; i < this.N; i++) for (let e = this.rowStart[i]; e < this.rowStart[i + 1]; e++) J[i * this.N + this.columns[e]] += this.values[e];
    return J;
  }
}

/** J = D + U V^T with D dense N x N and U, V N x rank (row-major). */
export class LowRankPlusDenseCoupling implements Coupling {
  readonly kind = 'low-rank-plus-dense' as const;
  readonly N: number;
  readonly rank: number;
  readonly dense: DenseCoupling;
  private readonly work: Float64Array;
  constructor(D: Float64Array | readonly (readonly number[])[], readonly U: Float64Array, readonly V: Float64Array, rank: number) {
    this.dense = new DenseCoupling(D);
    this.N = this.dense.N;
    this.rank = checkInteger('rank', rank, 1, this.N);
    for (const [name, M] of [['U', U], ['V', V]] as const) {
      if (!(M instanceof Float64Array) || M.length !== this.N * this.rank) throw new ArgumentError(name, `a Float64Array of N x rank = ${this.N * this.rank} entries`, M instanceof Float64Array ? `${M.length} entries` : M);
      checkFinite(name, M);
    }
    this.work = new Float64Array(this.rank);
  }

  apply(r: Float64Array, out: Float64Array, accumulate = false): void {
    this.dense.apply(r, out, accumulate);
    gemm(1, this.rank, this.N, r, this.V, this.work);                                // (V^T r)^T = r^T V
    gemm(1, this.N, this.rank, this.work, this.U, out, { transB: true, beta: 1 });   // += (U w)^T
  }
}

/**
 * Sussillo & Abbott's sparse couplings: each J_ij (autapses included) is nonzero with probability p, then
 * N(0, g^2 / (p N)), so the row variance is g^2 / N as in the dense draw.
 */
export function sparseRandomCoupling(options: { N: number; p: number; g: number; seed: number }): SparseCoupling {
  const N = checkInteger('N', options.N, 1);
  const p = checkNumber('p', options.p, Number.MIN_VALUE, 1);
  const g = checkNumber('g', options.g, 0);
  const rng = new Rng(checkInteger('seed', options.seed, 0, 0xffffffff));
  const s = g / Math.sqrt(p * N);
  const rowStart = new Int32Array(N + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) if (rng.uniform() < p) { cols.push(j); vals.push(s * rng.normal()); }
    rowStart[i + 1] = cols.length;
  }
  return new SparseCoupling(N, rowStart, Int32Array.from(cols), Float64Array.from(vals));
}
