/**
 * lib/vision images and patches: decoding against hand-made PNG/JPEG files (luminance by the BT.601 formula),
 * errors that name the path (missing, garbage, truncated), block-mean downsampling by hand, patches that are
 * exact copies of their image's pixels within the requested band, and the installed photographs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataFormatError, DataNotFoundError } from '../../lib/data';
import { decodeImage, downsample, loadPhotographs, PHOTO_SOURCES, radialPowerSpectrum, samplePatches, spectralSlope } from '../../lib/vision';

const dir = mkdtempSync(join(tmpdir(), 'ldl-vision-'));

function writePng(file: string, w: number, h: number, rgb: (i: number) => [number, number, number]): void {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = rgb(i);
    png.data[4 * i] = r; png.data[4 * i + 1] = g; png.data[4 * i + 2] = b; png.data[4 * i + 3] = 255;
  }
  writeFileSync(file, PNG.sync.write(png));
}

test('decodeImage: a PNG gives BT.601 luminance in [0, 1]; a JPEG of flat gray decodes near its value', () => {
  const file = join(dir, 'colours.png');
  const rgb = (i: number): [number, number, number] => [(i * 37) % 256, (i * 91) % 256, (i * 13) % 256];
  writePng(file, 5, 3, rgb);
  const img = decodeImage(file);
  assert.equal(img.width, 5);
  assert.equal(img.height, 3);
  for (let i = 0; i < 15; i++) {
    const [r, g, b] = rgb(i);
    assert.ok(Math.abs(img.pixels[i] - (0.299 * r + 0.587 * g + 0.114 * b) / 255) < 1e-6, `pixel ${i}`);
  }
  const data = Buffer.alloc(16 * 16 * 4, 200);
  const jfile = join(dir, 'gray.jpg');
  writeFileSync(jfile, jpeg.encode({ data, width: 16, height: 16 }, 100).data);
  const j = decodeImage(jfile);
  assert.equal(j.width, 16);
  for (const v of j.pixels) assert.ok(Math.abs(v - 200 / 255) < 3 / 255);
});

test('decodeImage: a missing file is a DataNotFoundError and a garbage or truncated one a DataFormatError, each naming the path', () => {
  const missing = join(dir, 'absent.jpg');
  assert.throws(() => decodeImage(missing, 'mate-backgrounds'), (e: Error) => e instanceof DataNotFoundError && e.message.includes(missing) && /apt-get install mate-backgrounds/.test(e.message));
  const garbage = join(dir, 'garbage.jpg');
  writeFileSync(garbage, Buffer.from('not an image at all'));
  assert.throws(() => decodeImage(garbage), (e: Error) => e instanceof DataFormatError && e.message.includes(garbage));
  const badJpeg = join(dir, 'bad.jpg');
  writeFileSync(badJpeg, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]));
  assert.throws(() => decodeImage(badJpeg), (e: Error) => e instanceof DataFormatError && e.message.includes(badJpeg));
  const good = join(dir, 'whole.png');
  writePng(good, 40, 40, (i) => [i % 256, 0, 0]);
  const truncated = join(dir, 'truncated.png');
  const bytes = readFileSync(good);
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  assert.throws(() => decodeImage(truncated), (e: Error) => e instanceof DataFormatError && e.message.includes(truncated));
  assert.throws(() => loadPhotographs({ sources: [{ package: 'pkg-x', dir, files: ['whole.png', 'absent.png'] }] }),
    (e: Error) => e instanceof DataNotFoundError && e.message.includes(join(dir, 'absent.png')) && /pkg-x/.test(e.message));
});

test('downsample: block means by hand; samplePatches copies pixels from inside the band', () => {
  const w = 64, h = 40;
  const img = { width: w, height: h, pixels: Float32Array.from({ length: w * h }, (_, i) => i), source: 'ramp' };
  const d = downsample(img, 3);
  assert.equal(d.width, 21);
  assert.equal(d.height, 13);
  // block (1, 2): rows 3..5, columns 6..8; mean of r*w + c = 4*w + 7
  assert.equal(d.pixels[1 * 21 + 2], 4 * w + 7);
  const p = samplePatches([img, img], { size: 8, perImage: 30, band: [0.5, 1], seed: 3 });
  assert.equal(p.count, 60);
  assert.deepEqual(p.shape, [8, 8, 1]);
  for (let n = 0; n < p.count; n++) {
    const v0 = p.x[n * 64];
    const r0 = Math.floor(v0 / w), c0 = v0 % w;
    assert.ok(c0 >= 32 && c0 + 8 <= w, `patch ${n} starts at column ${c0}`);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) assert.equal(p.x[n * 64 + i * 8 + j], (r0 + i) * w + c0 + j);
    assert.equal(p.y[n], n < 30 ? 0 : 1);
  }
  assert.throws(() => samplePatches([img], { size: 8, band: [0.95, 1] }), /images\[0\]/);
});

test('the installed photographs: 23 listed; one of each package decodes, downsampled, with a natural (about 1/f^2) spectrum', () => {
  assert.equal(PHOTO_SOURCES.reduce((s, p) => s + p.files.length, 0), 23);
  const sources = PHOTO_SOURCES.map((s) => ({ ...s, files: [s.files[0]] }));
  const photos = loadPhotographs({ sources, shortSide: 256 });
  assert.equal(photos.length, 2);
  for (const ph of photos) {
    assert.ok(Math.min(ph.width, ph.height) >= 256 && Math.min(ph.width, ph.height) < 512, `${ph.source} ${ph.width}x${ph.height}`);
    const slope = spectralSlope(radialPowerSpectrum(ph));
    assert.ok(slope < -1.3 && slope > -3.5, `${ph.source}: slope ${slope}`);
  }
});

test('loadPhotographs with a cache folder: a later call reads the cached pixels; an edited source file is decoded again', () => {
  const src = mkdtempSync(join(tmpdir(), 'ldl-vision-src-'));
  const cacheDir = join(mkdtempSync(join(tmpdir(), 'ldl-vision-cache-')), 'c');
  writePng(join(src, 'a.png'), 8, 6, () => [100, 100, 100]);
  const sources = [{ package: 'pkg', dir: src, files: ['a.png'] }];
  const [first] = loadPhotographs({ sources, shortSide: 3, cacheDir }); // factor 2: 4 x 3
  assert.equal(first.width, 4);
  assert.ok(first.pixels.every((v) => Math.abs(v - 100 / 255) < 1e-6));
  const f32 = readdirSync(cacheDir).find((f) => f.endsWith('.f32'))!;
  writeFileSync(join(cacheDir, f32), Buffer.from(new Float32Array(12).fill(0.25).buffer));
  assert.ok(loadPhotographs({ sources, shortSide: 3, cacheDir })[0].pixels.every((v) => v === 0.25), 'read from the cache');
  writePng(join(src, 'a.png'), 10, 6, () => [0, 0, 0]); // another size: the entry is stale
  const fresh = loadPhotographs({ sources, shortSide: 3, cacheDir })[0];
  assert.equal(fresh.width, 5);
  assert.ok(fresh.pixels.every((v) => v === 0));
});
