/**
 * Reader for MATLAB Level 5 MAT-files (format of `save -v6`/`-v7`, the
 * MathWorks "MAT-File Format" document): a 128-byte header, then tagged data
 * elements. Top-level elements are miMATRIX (type 14) or miCOMPRESSED
 * (type 15, a zlib stream holding one miMATRIX).
 *
 * Supported arrays: real numeric classes (double, single, int8..uint64),
 * logical and char. Complex, sparse, cell, struct and object arrays raise a
 * clear "not supported" error (or are skipped with { unsupported: 'skip' }).
 * Every length is checked against the bytes present, so a truncated or
 * corrupt file raises DataFormatError instead of returning a wrong array.
 * MAT v7.3 files are HDF5 and are recognised and rejected with that advice.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { ArgumentError, checkOneOf, checkString } from '../core';
import { DataFormatError, DataNotFoundError } from './errors';

export type MatClassName =
  | 'double' | 'single' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'logical' | 'char';

/** One variable of a MAT-file. */
export class MatArray {
  constructor(
    readonly name: string,
    /** MATLAB class; integer classes are converted to float64 exactly up to 2^53. */
    readonly className: MatClassName,
    /** Dimensions as MATLAB reports them (at least two). */
    readonly dims: readonly number[],
    /** Values in MATLAB's column-major order: element (i, j) of a 2-D array at i + j * rows. */
    readonly data: Float64Array,
    /** Declared global in the saving workspace. */
    readonly isGlobal: boolean,
  ) {}

  get rows(): number { return this.dims[0]; }
  get cols(): number { return this.dims.slice(1).reduce((a, b) => a * b, 1); }
  get size(): number { return this.data.length; }

  /** Element (i, j) of a 2-D array, zero-based. */
  at(i: number, j: number): number {
    this.check2d('at');
    if (!Number.isInteger(i) || i < 0 || i >= this.rows) throw new ArgumentError('i', `an integer in [0, ${this.rows - 1}]`, i);
    if (!Number.isInteger(j) || j < 0 || j >= this.cols) throw new ArgumentError('j', `an integer in [0, ${this.cols - 1}]`, j);
    return this.data[i + j * this.rows];
  }

  /** The 2-D array in row-major order (element (i, j) at i * cols + j). */
  toRowMajor(): Float64Array {
    this.check2d('toRowMajor');
    const { rows, cols } = this;
    const out = new Float64Array(rows * cols);
    for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out[i * cols + j] = this.data[i + j * rows];
    return out;
  }

  /** The rows of a 2-D array, each a Float64Array of length cols. */
  toRows(): Float64Array[] {
    const flat = this.toRowMajor();
    const out: Float64Array[] = [];
    for (let i = 0; i < this.rows; i++) out.push(flat.slice(i * this.cols, (i + 1) * this.cols));
    return out;
  }

  /** A char array as a string (rows joined by newlines). */
  toText(): string {
    if (this.className !== 'char') throw new ArgumentError(this.name, 'a char array for toText()', `class ${this.className}`);
    return this.toRows().map((r) => String.fromCharCode(...r)).join('\n');
  }

  /** The single value of a 1x1 array. */
  scalar(): number {
    if (this.data.length !== 1) throw new ArgumentError(this.name, 'a 1x1 array for scalar()', `dims [${this.dims.join(', ')}]`);
    return this.data[0];
  }

  private check2d(what: string): void {
    if (this.dims.length !== 2) throw new ArgumentError(this.name, `a 2-D array for ${what}()`, `dims [${this.dims.join(', ')}]`);
  }
}

/** A parsed MAT-file: its variables by name, in file order. */
export class MatFile {
  constructor(
    readonly file: string,
    /** The header's descriptive text (platform, creation date). */
    readonly description: string,
    readonly variables: ReadonlyMap<string, MatArray>,
    /** Variables left out with { unsupported: 'skip' }: name and reason. */
    readonly skipped: readonly { name: string; reason: string }[],
  ) {}

  get names(): string[] { return [...this.variables.keys()]; }

  has(name: string): boolean { return this.variables.has(name); }

  /** The variable `name`; throws naming the variables present if absent. */
  get(name: string): MatArray {
    checkString('name', name);
    const v = this.variables.get(name);
    if (!v) throw new ArgumentError('name', `one of the variables of ${this.file}: ${this.names.join(', ')}`, name);
    return v;
  }
}

export interface ReadMatOptions {
  /** 'throw' (default): an unsupported array is an error; 'skip': leave it out and list it in `skipped`. */
  unsupported?: 'throw' | 'skip';
}

// Data types (MAT-File Format, table 1-1).
const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18 } as const;
const MI_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4 };
// Array classes (table 1-3).
const MX_NAMES: Record<number, string> = {
  1: 'cell', 2: 'struct', 3: 'object', 4: 'char', 5: 'sparse', 6: 'double', 7: 'single', 8: 'int8', 9: 'uint8',
  10: 'int16', 11: 'uint16', 12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64', 16: 'function', 17: 'opaque',
};
const NUMERIC_CLASSES = new Set([4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

/** Signals an array that is valid but of a kind this reader does not handle. */
class UnsupportedArray extends Error {}

/** Reads every variable of a MAT v5 file (v6/v7, compressed or not). */
export function readMat(file: string, options: ReadMatOptions = {}): MatFile {
  checkString('file', file);
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object', options);
  const unsupported = checkOneOf('unsupported', options.unsupported ?? 'throw', ['throw', 'skip'] as const);
  const resolved = path.resolve(file);
  if (!fs.existsSync(resolved)) throw new DataNotFoundError(`MAT-file not found: ${resolved}`, [resolved]);
  const bytes = fs.readFileSync(resolved);
  return parseMat(bytes, resolved, unsupported);
}

/** Parses the bytes of a MAT v5 file; `file` only names it in errors. */
export function parseMat(bytes: Uint8Array, file = '<buffer>', unsupported: 'throw' | 'skip' = 'throw'): MatFile {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', 'a Uint8Array', bytes);
  if (bytes.length < 128) throw new DataFormatError(file, `truncated MAT-file header: ${bytes.length} bytes, a MAT v5 header has 128`);
  const text = Buffer.from(bytes.subarray(0, 116)).toString('latin1');
  if (bytes[0] === 0x89 && text.startsWith('\x89HDF')) throw new DataFormatError(file, 'this is a MAT v7.3 (HDF5) file, not supported: re-save it in MATLAB with save(..., \'-v7\')');
  const endian = String.fromCharCode(bytes[126], bytes[127]);
  if (endian !== 'IM' && endian !== 'MI') {
    throw new DataFormatError(file, `bad MAT-file header: endian indicator at bytes 126-127 is ${JSON.stringify(endian)}, expected "IM" or "MI" (not a MAT v5 file, or corrupt)`);
  }
  const little = endian === 'IM';
  const version = new DataView(bytes.buffer, bytes.byteOffset + 124, 2).getUint16(0, little);
  if (version !== 0x0100) throw new DataFormatError(file, `bad MAT-file header: version 0x${version.toString(16)}, expected 0x0100`);
  if (text.startsWith('MATLAB 7.3')) throw new DataFormatError(file, 'MAT v7.3 (HDF5) files are not supported: re-save with save(..., \'-v7\')');

  const variables = new Map<string, MatArray>();
  const skipped: { name: string; reason: string }[] = [];
  let offset = 128;
  while (offset < bytes.length) {
    // Some writers pad the end of the file with fewer than 8 zero bytes.
    if (bytes.length - offset < 8 && bytes.subarray(offset).every((b) => b === 0)) break;
    const el = readTag(bytes, offset, little, file);
    let matrix: Uint8Array;
    let where = `element at byte ${offset}`;
    if (el.type === MI.COMPRESSED) {
      let inflated: Buffer;
      try {
        inflated = zlib.inflateSync(el.body);
      } catch (e) {
        throw new DataFormatError(file, `zlib decompression of the compressed ${where} failed (${(e as Error).message}): the file is truncated or corrupt`);
      }
      const inner = readTag(inflated, 0, little, `${file} (${where}, decompressed)`);
      if (inner.type !== MI.MATRIX) throw new DataFormatError(file, `compressed ${where} holds data type ${inner.type}, expected miMATRIX (14)`);
      if (inflated.length - inner.end >= 8) {
        throw new DataFormatError(file, `compressed ${where}: decompressed ${inflated.length} bytes but its miMATRIX declares ${inner.body.length}`);
      }
      matrix = inner.body;
      where = `compressed ${where}`;
      offset = el.end; // compressed elements are not padded to 8 bytes
    } else if (el.type === MI.MATRIX) {
      matrix = el.body;
      offset = el.paddedEnd;
    } else {
      throw new DataFormatError(file, `top-level ${where} has data type ${el.type}; a MAT-file holds miMATRIX (14) or miCOMPRESSED (15) elements`);
    }
    try {
      const array = parseMatrix(matrix, little, `${file} (${where})`);
      if (array) {
        if (variables.has(array.name)) throw new DataFormatError(file, `variable ${array.name} appears twice`);
        variables.set(array.name, array);
      }
    } catch (e) {
      if (!(e instanceof UnsupportedArray)) throw e;
      if (unsupported === 'throw') throw new DataFormatError(file, `${e.message} (pass { unsupported: 'skip' } to read the other variables)`);
      const name = /variable (\S+)/.exec(e.message)?.[1] ?? '?';
      skipped.push({ name, reason: e.message });
    }
  }
  return new MatFile(file, text.replace(/[\s\0]+$/, ''), variables, skipped);
}

interface Element { type: number; body: Uint8Array; end: number; paddedEnd: number }

/** Reads one tag (normal or small-element form) and bounds-checks its body. */
function readTag(bytes: Uint8Array, offset: number, little: boolean, file: string): Element {
  if (bytes.length - offset < 8) throw new DataFormatError(file, `truncated data element at byte ${offset}: ${bytes.length - offset} bytes left, a tag needs 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 8);
  const first = view.getUint32(0, little);
  const small = first >>> 16;
  if (small !== 0) {
    // Small data element: 2-byte size, 2-byte type, up to 4 bytes of data inside the tag.
    const type = first & 0xffff;
    if (small > 4) throw new DataFormatError(file, `corrupt small data element at byte ${offset}: size ${small} > 4`);
    return { type, body: bytes.subarray(offset + 4, offset + 4 + small), end: offset + 8, paddedEnd: offset + 8 };
  }
  const type = first;
  const size = view.getUint32(4, little);
  const start = offset + 8;
  if (size > bytes.length - start) {
    throw new DataFormatError(file, `truncated data element at byte ${offset} (type ${type}): declares ${size} bytes, only ${bytes.length - start} present`);
  }
  const end = start + size;
  return { type, body: bytes.subarray(start, end), end, paddedEnd: Math.min(bytes.length, start + Math.ceil(size / 8) * 8) };
}

/** Parses the body of an miMATRIX element; null for an empty placeholder. */
function parseMatrix(body: Uint8Array, little: boolean, where: string): MatArray | null {
  if (body.length === 0) return null;
  let offset = 0;
  const next = (what: string): Element => {
    if (offset >= body.length) throw new DataFormatError(where, `miMATRIX ends before its ${what}`);
    const el = readTag(body, offset, little, where);
    offset = el.paddedEnd;
    return el;
  };
  const flagsEl = next('array flags');
  if (flagsEl.type !== MI.UINT32 || flagsEl.body.length < 8) throw new DataFormatError(where, 'corrupt miMATRIX: array flags must be 8 bytes of miUINT32');
  const flags = new DataView(flagsEl.body.buffer, flagsEl.body.byteOffset, 8).getUint32(0, little);
  const classId = flags & 0xff;
  const isComplex = (flags & 0x0800) !== 0;
  const isGlobal = (flags & 0x0400) !== 0;
  const isLogical = (flags & 0x0200) !== 0;

  const dimsEl = next('dimensions');
  if (dimsEl.type !== MI.INT32 || dimsEl.body.length % 4 !== 0 || dimsEl.body.length < 8) {
    throw new DataFormatError(where, 'corrupt miMATRIX: dimensions must be at least two miINT32 values');
  }
  const dims: number[] = [];
  const dv = new DataView(dimsEl.body.buffer, dimsEl.body.byteOffset, dimsEl.body.length);
  for (let i = 0; i < dimsEl.body.length; i += 4) {
    const d = dv.getInt32(i, little);
    if (d < 0) throw new DataFormatError(where, `corrupt miMATRIX: negative dimension ${d}`);
    dims.push(d);
  }
  const nameEl = next('array name');
  if (nameEl.type !== MI.INT8 && nameEl.type !== MI.UINT8) throw new DataFormatError(where, `corrupt miMATRIX: array name has data type ${nameEl.type}, expected miINT8`);
  const name = Buffer.from(nameEl.body).toString('latin1');
  const className = MX_NAMES[classId];
  if (className === undefined) throw new DataFormatError(where, `corrupt miMATRIX: unknown array class ${classId} for variable ${name}`);
  if (!NUMERIC_CLASSES.has(classId)) throw new UnsupportedArray(`variable ${name} is a ${className} array, which readMat does not support`);
  if (isComplex) throw new UnsupportedArray(`variable ${name} is complex (${className}), which readMat does not support`);

  const count = dims.reduce((a, b) => a * b, 1);
  const realEl = next('real part');
  const data = decodeNumbers(realEl, little, where, name);
  if (data.length !== count) {
    throw new DataFormatError(where, `size mismatch in variable ${name}: dims [${dims.join(', ')}] need ${count} values, the data holds ${data.length}`);
  }
  const cls: MatClassName = isLogical ? 'logical' : (className as MatClassName);
  return new MatArray(name, cls, dims, data, isGlobal);
}

/** Converts a numeric data element (any storage type) to float64. */
function decodeNumbers(el: Element, little: boolean, where: string, name: string): Float64Array {
  const width = MI_SIZE[el.type];
  // char arrays may be stored as UTF-8/UTF-32 text: keep one value per code unit as MATLAB does.
  if (el.type === MI.UTF8) return Float64Array.from(Buffer.from(el.body).toString('utf8'), (ch) => ch.charCodeAt(0));
  if (width === undefined) {
    throw new DataFormatError(where, `variable ${name}: data element type ${el.type} is not a numeric type`);
  }
  if (el.body.length % width !== 0) throw new DataFormatError(where, `variable ${name}: ${el.body.length} data bytes is not a multiple of the element size ${width}`);
  const n = el.body.length / width;
  const out = new Float64Array(n);
  const v = new DataView(el.body.buffer, el.body.byteOffset, el.body.length);
  switch (el.type) {
    case MI.INT8: for (let i = 0; i < n; i++) out[i] = v.getInt8(i); break;
    case MI.UINT8: for (let i = 0; i < n; i++) out[i] = v.getUint8(i); break;
    case MI.INT16: for (let i = 0; i < n; i++) out[i] = v.getInt16(2 * i, little); break;
    case MI.UINT16: case MI.UTF16: for (let i = 0; i < n; i++) out[i] = v.getUint16(2 * i, little); break;
    case MI.INT32: for (let i = 0; i < n; i++) out[i] = v.getInt32(4 * i, little); break;
    case MI.UINT32: case MI.UTF32: for (let i = 0; i < n; i++) out[i] = v.getUint32(4 * i, little); break;
    case MI.SINGLE: for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, little); break;
    case MI.DOUBLE: for (let i = 0; i < n; i++) out[i] = v.getFloat64(8 * i, little); break;
    case MI.INT64: for (let i = 0; i < n; i++) out[i] = Number(v.getBigInt64(8 * i, little)); break;
    case MI.UINT64: for (let i = 0; i < n; i++) out[i] = Number(v.getBigUint64(8 * i, little)); break;
    default: throw new DataFormatError(where, `variable ${name}: unsupported data element type ${el.type}`);
  }
  return out;
}
