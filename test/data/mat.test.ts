import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { readMat, parseMat, loadSongbird, findSongbirdMat, DataFormatError, DataNotFoundError } from '../../lib/data';
import { ArgumentError } from '../../lib/core';

// The songbird file lives outside the project (../shared/data or $SONGBIRD_MAT); without it those tests are skipped, saying why.
let songbird = '';
let noSongbird: string | false = false;
try { songbird = findSongbirdMat(); } catch (e) { noSongbird = (e as Error).message; }

function frobenius(data: Float64Array): number {
  let s = 0;
  for (const v of data) s += v * v;
  return Math.sqrt(s);
}

test('songbird data: SONG 141x4440 (norm 151.5404), NEURAL 75x666 (norm 20.2168, one all-zero row), SONGfs 200, VIDEOfs 30', { skip: noSongbird }, () => {
  const bird = loadSongbird();
  assert.deepEqual([bird.songFs, bird.videoFs, bird.song.dims, bird.neural.dims], [200, 30, [141, 4440], [75, 666]]);
  const mat = readMat(songbird);
  assert.deepEqual(mat.names.sort(), ['NEURAL', 'SONG', 'SONGfs', 'VIDEOfs']);
  assert.match(mat.description, /^MATLAB 5.0 MAT-file/);
  const song = mat.get('SONG');
  assert.equal(song.className, 'double');
  assert.deepEqual(song.dims, [141, 4440]);
  assert.equal(frobenius(song.data).toFixed(4), '151.5404');
  const neural = mat.get('NEURAL');
  assert.deepEqual(neural.dims, [75, 666]);
  assert.equal(frobenius(neural.data).toFixed(4), '20.2168');
  const rows = neural.toRows();
  assert.equal(rows.length, 75);
  assert.equal(rows.filter((r) => r.every((v) => v === 0)).length, 1);
  assert.equal(neural.data.filter((v) => v !== 0).length, 3336);
  assert.ok(neural.data.every((v) => v >= 0 && v <= 0.95));
  assert.ok(song.data.every((v) => v >= 0 && v <= 1));
  assert.equal(mat.get('SONGfs').scalar(), 200);
  assert.equal(mat.get('VIDEOfs').scalar(), 30);
  // Row-major and column-major views agree element by element.
  const rm = song.toRowMajor();
  for (const [i, j] of [[0, 0], [140, 4439], [17, 2001], [100, 3]]) {
    assert.equal(rm[i * 4440 + j], song.data[i + j * 141]);
    assert.equal(song.at(i, j), song.data[i + j * 141]);
  }
  // Bit-identical to SciPy 1.10.1's scipy.io.loadmat: sha256 of each array as
  // C-ordered little-endian float64 bytes, computed there with
  // hashlib.sha256(np.ascontiguousarray(m[k], dtype='<f8').tobytes()).
  const sha = (a: Float64Array) => crypto.createHash('sha256').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
  assert.equal(sha(song.toRowMajor()), 'aa9634cde22f6d81fbb90328975b96d19050f8bbac2721f889d480109c604de0');
  assert.equal(sha(neural.toRowMajor()), 'a7045f63c5c7a2c53a4e147f8a61b89b2432c0671576032f3161c1611e6eda40');
  assert.throws(() => mat.get('nope'), (e: Error) => e instanceof ArgumentError && /NEURAL, SONG, SONGfs, VIDEOfs/.test(e.message));
  assert.throws(() => song.at(141, 0), /i: expected an integer in \[0, 140\]/);
});

// --- hand-built MAT v5 files: the bytes follow the MathWorks format document ---

const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, MATRIX: 14, COMPRESSED: 15 };
function element(type: number, body: Buffer, small = false): Buffer {
  if (small && body.length <= 4) {
    const tag = Buffer.alloc(8);
    tag.writeUInt16LE(type, 0);
    tag.writeUInt16LE(body.length, 2);
    body.copy(tag, 4);
    return tag;
  }
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(type, 0);
  tag.writeUInt32LE(body.length, 4);
  const pad = Buffer.alloc((8 - (body.length % 8)) % 8);
  return Buffer.concat([tag, body, pad]);
}
function matrix(name: string, classId: number, dims: number[], dataType: number, data: Buffer, flagBits = 0): Buffer {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(classId | flagBits, 0);
  const dimsBuf = Buffer.alloc(4 * dims.length);
  dims.forEach((d, i) => dimsBuf.writeInt32LE(d, 4 * i));
  const body = Buffer.concat([
    element(MI.UINT32, flags), element(MI.INT32, dimsBuf), element(MI.INT8, Buffer.from(name, 'latin1'), true), element(dataType, data, true),
  ]);
  return element(MI.MATRIX, body);
}
function compressed(el: Buffer): Buffer {
  const z = zlib.deflateSync(el);
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(MI.COMPRESSED, 0);
  tag.writeUInt32LE(z.length, 4);
  return Buffer.concat([tag, z]);
}
function header(): Buffer {
  const h = Buffer.alloc(128, 0x20);
  h.write('MATLAB 5.0 MAT-file, hand-built by the test suite', 0, 'latin1');
  h.fill(0, 116, 124);
  h.writeUInt16LE(0x0100, 124);
  h.write('IM', 126, 'latin1');
  return h;
}
const f64 = (xs: number[]) => Buffer.from(Float64Array.from(xs).buffer);

test('hand-built file: doubles, integers stored narrow, logical, single, int64, char, compressed and not', () => {
  // A = [1 2 3; 4 5 6] stored column-major as 1 4 2 5 3 6.
  const A = matrix('A', 6, [2, 3], MI.DOUBLE, f64([1, 4, 2, 5, 3, 6]));
  const i16 = Buffer.alloc(8);
  [-3, 7, 300, -32768].forEach((v, i) => i16.writeInt16LE(v, 2 * i));
  const B = matrix('B', 10, [4, 1], MI.INT16, i16);
  // MATLAB stores integral doubles in a narrower type: class double, data miUINT8.
  const C = matrix('C', 6, [1, 3], MI.UINT8, Buffer.from([0, 128, 255]));
  const L = matrix('L', 9, [1, 2], MI.UINT8, Buffer.from([1, 0]), 0x0200);
  const S = matrix('S', 7, [1, 1], MI.SINGLE, Buffer.from(Float32Array.from([0.5]).buffer));
  const i64 = Buffer.alloc(8);
  i64.writeBigInt64LE(-(2n ** 40n), 0);
  const Q = matrix('Q', 14, [1, 1], MI.INT64, i64);
  const chars = Buffer.alloc(6);
  [104, 105, 33].forEach((c, i) => chars.writeUInt16LE(c, 2 * i));
  const T = matrix('T', 4, [1, 3], MI.UINT16, chars);
  const D = matrix('D', 6, [2, 1, 2], MI.DOUBLE, f64([1, 2, 3, 4]));
  const bytes = Buffer.concat([header(), A, compressed(B), C, compressed(L), S, Q, T, D]);
  const mat = parseMat(bytes, 'hand.mat');
  assert.deepEqual(mat.names, ['A', 'B', 'C', 'L', 'S', 'Q', 'T', 'D']);
  const a = mat.get('A');
  assert.deepEqual([a.rows, a.cols], [2, 3]);
  assert.deepEqual(a.toRows().map((r) => Array.from(r)), [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(Array.from(a.toRowMajor()), [1, 2, 3, 4, 5, 6]);
  assert.equal(a.at(1, 2), 6);
  assert.equal(mat.get('B').className, 'int16');
  assert.deepEqual(Array.from(mat.get('B').data), [-3, 7, 300, -32768]);
  assert.equal(mat.get('C').className, 'double');
  assert.deepEqual(Array.from(mat.get('C').data), [0, 128, 255]);
  assert.equal(mat.get('L').className, 'logical');
  assert.deepEqual(Array.from(mat.get('L').data), [1, 0]);
  assert.equal(mat.get('S').scalar(), 0.5);
  assert.equal(mat.get('Q').scalar(), -(2 ** 40));
  assert.equal(mat.get('T').toText(), 'hi!');
  assert.deepEqual(mat.get('D').dims, [2, 1, 2]);
  assert.throws(() => mat.get('D').toRows(), /2-D array/);
});

test('unsupported arrays: clear error naming the variable, or skipped on request', () => {
  const complex = matrix('Z', 6, [1, 1], MI.DOUBLE, f64([1]), 0x0800);
  const cell = matrix('Cc', 1, [1, 1], MI.DOUBLE, f64([1]));
  const good = matrix('A', 6, [1, 1], MI.DOUBLE, f64([2]));
  const bytes = Buffer.concat([header(), complex, good, cell]);
  assert.throws(() => parseMat(bytes, 'x.mat'), (e: Error) => e instanceof DataFormatError && /variable Z is complex/.test(e.message) && /not support/.test(e.message));
  const mat = parseMat(bytes, 'x.mat', 'skip');
  assert.deepEqual(mat.names, ['A']);
  assert.deepEqual(mat.skipped.map((s) => s.name), ['Z', 'Cc']);
  assert.match(mat.skipped[1].reason, /cell array/);
});

test('corrupt and truncated MAT files raise DataFormatError, never a wrong array', { skip: noSongbird }, () => {
  const real = fs.readFileSync(songbird);
  const cases: [string, Buffer, RegExp][] = [
    ['short header', real.subarray(0, 100), /truncated MAT-file header/],
    ['bad endian', Buffer.concat([real.subarray(0, 126), Buffer.from('XX'), real.subarray(128)]), /endian indicator/],
    ['bad version', Buffer.concat([real.subarray(0, 124), Buffer.from([0, 2]), real.subarray(126)]), /version 0x200/],
    ['truncated element', real.subarray(0, real.length - 1000), /truncated data element at byte \d+ \(type 15\): declares \d+ bytes, only \d+ present/],
    ['truncated tag', real.subarray(0, 128 + 5), /truncated data element at byte 128: 5 bytes left/],
    ['corrupt zlib', (() => { const b = Buffer.from(real); for (let i = 200; i < 260; i++) b[i] ^= 0x5a; return b; })(), /zlib decompression of the compressed element at byte 128 failed/],
    ['size mismatch', Buffer.concat([header(), matrix('A', 6, [2, 3], MI.DOUBLE, f64([1, 2, 3, 4, 5]))]), /size mismatch in variable A: dims \[2, 3\] need 6 values, the data holds 5/],
    ['bad element type', Buffer.concat([header(), element(MI.DOUBLE, f64([1]))]), /data type 9; a MAT-file holds miMATRIX/],
  ];
  for (const [name, bytes, re] of cases) {
    assert.throws(() => parseMat(bytes, 'copy.mat'), (e: Error) => e instanceof DataFormatError && re.test(e.message), name);
  }
  // The same through readMat on a truncated copy in a temporary folder.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-'));
  try {
    const cut = path.join(tmp, 'cut.mat');
    fs.writeFileSync(cut, real.subarray(0, Math.floor(real.length / 2)));
    assert.throws(() => readMat(cut), (e: Error) => e instanceof DataFormatError && e.message.startsWith(cut) && /truncated/.test(e.message));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  assert.throws(() => readMat(path.join(os.tmpdir(), 'no-such-file.mat')), DataNotFoundError);
  assert.throws(() => loadSongbird({ file: path.join(os.tmpdir(), 'none.mat') }), (e: Error) => e instanceof DataNotFoundError && /FeeLab\/seqNMF/.test(e.message));
  assert.throws(() => readMat(''), /file: expected a non-empty string/);
});
