/**
 * IDX files (the MNIST container format, LeCun et al.): a 4-byte magic
 * number `0 0 type ndims`, `ndims` big-endian uint32 sizes, then the data in
 * row-major order. Files may be gzipped (Debian ships Fashion-MNIST as .gz);
 * gzip is recognised by its magic bytes, not by the file name.
 *
 * Parsed files are cached per process keyed by path, size and modification
 * time, so loading the 60,000 training images twice reads and parses them
 * once, and a file replaced on disk is read again.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { ArgumentError, checkString } from '../core';
import { DataFormatError, DataNotFoundError } from './errors';

export interface IdxArray {
  /** Sizes of each dimension, outermost first (e.g. [60000, 28, 28]). */
  dims: number[];
  /** The unsigned bytes in row-major order; length = product of dims. */
  data: Uint8Array;
}

const IDX_TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};

/**
 * Parses an IDX buffer holding unsigned bytes (type 0x08, the type of every
 * MNIST-family file). `file` only names the source in error messages.
 */
export function parseIdx(bytes: Uint8Array, file = '<buffer>'): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', 'a Uint8Array holding an IDX file', bytes);
  if (typeof file !== 'string') throw new ArgumentError('file', 'a string naming the source', file);
  if (bytes.length < 4) throw new DataFormatError(file, `truncated IDX file: ${bytes.length} bytes, too short for the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataFormatError(file, `bad IDX magic number 0x${hex(bytes, 0, 4)} (the first two bytes must be zero): not an IDX file or corrupt`);
  }
  const type = bytes[2];
  const ndims = bytes[3];
  if (!(type in IDX_TYPE_NAMES)) throw new DataFormatError(file, `bad IDX magic number 0x${hex(bytes, 0, 4)}: unknown data type 0x${type.toString(16)}`);
  if (type !== 0x08) throw new DataFormatError(file, `IDX data type ${IDX_TYPE_NAMES[type]} is not supported (only unsigned bytes, 0x08)`);
  if (ndims === 0) throw new DataFormatError(file, 'IDX header declares 0 dimensions');
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) throw new DataFormatError(file, `truncated IDX header: ${bytes.length} bytes, need ${headerBytes} for ${ndims} dimensions`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let expected = 1;
  for (let d = 0; d < ndims; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    expected *= size;
  }
  const actual = bytes.length - headerBytes;
  if (actual !== expected) {
    const what = actual < expected ? 'truncated' : 'has trailing bytes';
    throw new DataFormatError(file, `IDX size mismatch (${what}): header says [${dims.join(', ')}] = ${expected} bytes of data, file holds ${actual}`);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

const cache = new Map<string, IdxArray>();

/**
 * Reads and parses an IDX file (plain or gzipped) with per-process caching.
 * Throws DataNotFoundError when the file does not exist and DataFormatError
 * for a gzip failure, bad magic number or size mismatch.
 */
export function readIdx(file: string): IdxArray {
  checkString('file', file);
  const resolved = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch {
    throw new DataNotFoundError(`IDX file not found: ${resolved}`, [resolved]);
  }
  const key = `${resolved}\0${stat.size}\0${stat.mtimeMs}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let bytes: Uint8Array = fs.readFileSync(resolved);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (e) {
      throw new DataFormatError(resolved, `gzip decompression failed (${(e as Error).message}): the file is truncated or corrupt`);
    }
  }
  const parsed = parseIdx(bytes, resolved);
  // Drop any older entry for the same path (the file changed on disk).
  for (const k of cache.keys()) if (k.startsWith(resolved + '\0')) cache.delete(k);
  cache.set(key, parsed);
  return parsed;
}

/** Forgets every parsed file (frees their memory). */
export function clearIdxCache(): void {
  cache.clear();
}

/** Number of parsed files currently cached (for tests and diagnostics). */
export function idxCacheSize(): number {
  return cache.size;
}

function hex(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < Math.min(end, bytes.length); i++) s += bytes[i].toString(16).padStart(2, '0');
  return s;
}
