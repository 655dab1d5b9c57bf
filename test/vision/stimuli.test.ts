/**
 * lib/vision stimuli: each generator against its definition worked by hand -- flash onsets and the omitted one,
 * a bar's area-sampled pixels (its row sums are contrast x width while inside the field; the reversal retraces the
 * path), white noise's moments and checker blocks, stepped contrast per epoch, and natural-movie windows that are
 * exact standardized crops of the photograph moving by the recorded steps. One seed gives one movie. The movies made
 * in parts equal the whole movie bit for bit; chunksWithHistory's history frames are the whole movie's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../../lib/core';
import {
  chunksWithHistory, concatMovies, contrastSteps, flashTrain, type GrayImage, type Movie, movieChunks, movingBar, naturalMovie, naturalMovieParts, whiteNoiseMovie, whiteNoiseParts,
} from '../../lib/vision';

test('flashTrain: flashes of the given duration every period frames, the omitted one dark', () => {
  const f = flashTrain({ frames: 40, height: 2, width: 3, period: 6, duration: 2, first: 4, count: 5, omit: 3, contrast: -0.5 });
  assert.deepEqual(f.onsets, [4, 10, 16, 28]);
  assert.equal(f.omitted, 22);
  for (let t = 0; t < 40; t++) {
    const on = [4, 5, 10, 11, 16, 17, 28, 29].includes(t);
    for (let p = 0; p < 6; p++) assert.equal(f.data[t * 6 + p], on ? -0.5 : 0, `frame ${t}`);
  }
  assert.equal(flashTrain({ frames: 20, height: 1, width: 1, period: 4, count: 3 }).omitted, 8, 'default: the last flash omitted');
  assert.equal(flashTrain({ frames: 20, height: 1, width: 1, period: 4, count: 3, omit: -1 }).omitted, null);
  assert.throws(() => flashTrain({ frames: 8, height: 1, width: 1, period: 4, count: 3 }), ArgumentError, 'the train does not fit');
});

test('movingBar: area-sampled pixels sum to contrast x width per row inside the field; a reversal retraces the path', () => {
  const W = 12, b = movingBar({ frames: 30, height: 3, width: W, barWidth: 2.5, speed: 0.3, start: 2, contrast: 2, reverseAt: 15 });
  for (let t = 0; t < 30; t++) {
    const x = 2 + 0.3 * Math.min(t, 15) - 0.3 * Math.max(0, t - 15);
    assert.ok(Math.abs(b.position[t] - x) < 1e-9, `position at ${t}`);
    for (let r = 0; r < 3; r++) {
      let sum = 0;
      for (let c = 0; c < W; c++) {
        const v = b.data[(t * 3 + r) * W + c];
        const overlap = Math.max(0, Math.min(x + 1.25, c + 0.5) - Math.max(x - 1.25, c - 0.5));
        assert.ok(Math.abs(v - 2 * overlap) < 1e-6, `pixel (${t}, ${r}, ${c})`);
        sum += v;
      }
      assert.ok(Math.abs(sum - 2 * 2.5) < 1e-5, `row sum at ${t}`);
    }
  }
  for (let d = 1; d <= 10; d++) assert.ok(Math.abs(b.position[15 - d] - b.position[15 + d]) < 1e-9, 'symmetric about the reversal');
});

test('whiteNoiseMovie: zero mean, the given std, equal values within a checker block, one seed one movie', () => {
  const m = whiteNoiseMovie({ frames: 400, height: 6, width: 6, contrast: 0.7, checker: 3, seed: 5 });
  let s = 0, s2 = 0;
  for (const v of m.data) { s += v; s2 += v * v; }
  const n = m.data.length;
  assert.ok(Math.abs(s / n) < 0.05, `mean ${s / n}`);
  assert.ok(Math.abs(Math.sqrt(s2 / n) - 0.7) < 0.05, `std ${Math.sqrt(s2 / n)}`);
  for (let t = 0; t < 400; t += 37) {
    for (let r = 0; r < 6; r++) for (let c = 0; c < 6; c++) {
      assert.equal(m.data[(t * 6 + r) * 6 + c], m.data[(t * 6 + 3 * Math.floor(r / 3)) * 6 + 3 * Math.floor(c / 3)], 'block shares its value');
    }
  }
  assert.deepEqual(whiteNoiseMovie({ frames: 5, height: 2, width: 2, seed: 9 }).data, whiteNoiseMovie({ frames: 5, height: 2, width: 2, seed: 9 }).data);
  assert.notDeepEqual(whiteNoiseMovie({ frames: 5, height: 2, width: 2, seed: 9 }).data, whiteNoiseMovie({ frames: 5, height: 2, width: 2, seed: 10 }).data);
  const bin = whiteNoiseMovie({ frames: 10, height: 3, width: 3, binary: true, contrast: 0.4, seed: 1 });
  assert.ok(bin.data.every((v) => Math.abs(Math.abs(v) - 0.4) < 1e-7), 'binary noise is +-contrast');
});

test('contrastSteps: the std of each epoch is its contrast', () => {
  const m = contrastSteps({ frames: 600, height: 5, width: 5, contrasts: [0.2, 1.5], stepEvery: 100, seed: 3 });
  for (let e = 0; e < 6; e++) {
    let s2 = 0;
    for (let q = e * 100 * 25; q < (e + 1) * 100 * 25; q++) s2 += m.data[q] ** 2;
    const want = e % 2 === 0 ? 0.2 : 1.5;
    assert.ok(Math.abs(Math.sqrt(s2 / 2500) / want - 1) < 0.06, `epoch ${e}`);
    assert.equal(m.contrast[e * 100 + 50], want);
  }
});

test('naturalMovie: each frame is the standardized crop at the recorded corner; drift steps between saccades', () => {
  const W = 30, H = 24;
  const photo: GrayImage = { width: W, height: H, pixels: Float32Array.from({ length: W * H }, (_, i) => Math.sin(0.37 * i) + 0.01 * i), source: 'synthetic' };
  const second: GrayImage = { width: 20, height: 20, pixels: Float32Array.from({ length: 400 }, (_, i) => (i * 7919) % 13), source: 'synthetic 2' };
  const m = naturalMovie([photo, second], { frames: 60, height: 8, width: 10, jitter: 1.5, saccadeEvery: 20, contrast: 2, seed: 4 });
  const stats = [photo, second].map((p) => {
    const mean = p.pixels.reduce((a, b) => a + b, 0) / p.pixels.length;
    const sd = Math.sqrt(p.pixels.reduce((a, b) => a + (b - mean) ** 2, 0) / p.pixels.length);
    return { mean, sd };
  });
  let moved = 0;
  for (let t = 0; t < 60; t++) {
    const p = [photo, second][m.photo[t]], { mean, sd } = stats[m.photo[t]];
    assert.ok(m.row[t] >= 0 && m.row[t] + 8 <= p.height && m.col[t] >= 0 && m.col[t] + 10 <= p.width, 'window inside the photograph');
    for (let r = 0; r < 8; r++) for (let c = 0; c < 10; c++) {
      const want = (2 * (p.pixels[(m.row[t] + r) * p.width + m.col[t] + c] - mean)) / sd;
      assert.ok(Math.abs(m.data[(t * 8 + r) * 10 + c] - want) < 1e-4, `frame ${t} pixel (${r}, ${c})`);
    }
    if (t % 20 !== 0) {
      assert.equal(m.photo[t], m.photo[t - 1], 'same photograph between saccades');
      if (m.row[t] !== m.row[t - 1] || m.col[t] !== m.col[t - 1]) moved++;
      assert.ok(Math.abs(m.row[t] - m.row[t - 1]) <= 8 && Math.abs(m.col[t] - m.col[t - 1]) <= 8, 'a drift step, not a jump');
    }
  }
  assert.ok(moved > 20, `the window drifts (${moved} moves in 57 steps)`);
  assert.throws(() => naturalMovie([second], { frames: 2, height: 21, width: 5, seed: 1 }), ArgumentError, 'photograph smaller than the window');
});

test('concatMovies: frames of each movie in turn; sizes and dt must agree', () => {
  const a = whiteNoiseMovie({ frames: 3, height: 2, width: 2, seed: 1 }), b = flashTrain({ frames: 4, height: 2, width: 2, period: 2, count: 2 });
  const m = concatMovies([a, b]);
  assert.equal(m.frames, 7);
  assert.deepEqual(Array.from(m.data.subarray(0, 12)), Array.from(a.data));
  assert.deepEqual(Array.from(m.data.subarray(12)), Array.from(b.data));
  assert.throws(() => concatMovies([a, whiteNoiseMovie({ frames: 3, height: 2, width: 3, seed: 1 })]), ArgumentError);
  assert.throws(() => concatMovies([a, { ...b, dt: 0.02 }]), ArgumentError);
});

test('movieChunks: the concatenated movie cut at totalFrames, in chunks of chunkFrames; parts drawn only as the chunks need them', () => {
  const parts = [3, 7, 5, 9].map((frames, k) => whiteNoiseMovie({ frames, height: 2, width: 3, seed: k }));
  const whole = concatMovies(parts);
  let drawn = 0;
  const lazy = function* (): Generator<Movie> { for (const p of parts) { drawn++; yield p; } };
  const it = movieChunks(lazy(), 4, 20);
  const first = it.next().value as Movie;
  assert.equal(drawn, 2, 'the first chunk of 4 frames needs the first two parts only');
  const chunks = [first, ...it];
  assert.deepEqual(chunks.map((c) => c.frames), [4, 4, 4, 4, 4]);
  assert.deepEqual(Float32Array.from(chunks.flatMap((c) => [...c.data])), whole.data.subarray(0, 20 * 6));
  const all = [...movieChunks(parts, 10)];
  assert.deepEqual(all.map((c) => c.frames), [10, 10, 4], 'without totalFrames: every frame, the last chunk shorter');
  assert.deepEqual(Float32Array.from(all.flatMap((c) => [...c.data])), whole.data);
  assert.throws(() => [...movieChunks(parts, 0)], /chunkFrames/);
  assert.throws(() => [...movieChunks([parts[0], whiteNoiseMovie({ frames: 2, height: 3, width: 3, seed: 1 })], 4)], /parts/);
});

test('whiteNoiseParts, naturalMovieParts: parts of any size end to end are the whole movie bit for bit, made as they are asked for', () => {
  const photos: GrayImage[] = [0, 1].map((k) => ({ width: 40, height: 30, pixels: Float32Array.from({ length: 1200 }, (_, i) => Math.sin(i * (0.37 + k)) + (i % 7)), source: 'synthetic' }));
  const wn = { frames: 23, height: 4, width: 6, checker: 2, seed: 9 }, nat = { frames: 23, height: 5, width: 7, jitter: 2, saccadeEvery: 6, seed: 4 };
  const wholeNoise = whiteNoiseMovie(wn), wholeNat = naturalMovie(photos, nat);
  for (const part of [1, 5, 23, 100]) {
    const noise = [...whiteNoiseParts(wn, part)], natural = [...naturalMovieParts(photos, nat, part)];
    assert.deepEqual(noise.map((m) => m.frames), natural.map((m) => m.frames));
    assert.equal(noise.length, Math.ceil(23 / part));
    assert.ok(noise.every((m) => m.frames <= part));
    assert.deepEqual(concatMovies(noise).data, wholeNoise.data, `white noise in parts of ${part}`);
    assert.deepEqual(concatMovies(natural).data, wholeNat.data, `natural movie in parts of ${part}`);
    assert.deepEqual(Int32Array.from(natural.flatMap((m) => [...m.row])), wholeNat.row);
    assert.deepEqual(Int32Array.from(natural.flatMap((m) => [...m.photo])), wholeNat.photo);
  }
  assert.throws(() => [...whiteNoiseParts(wn, 0)], /partFrames/);
  assert.throws(() => [...naturalMovieParts(photos, { ...nat, frames: 0 }, 4)], /frames/);
});

test("chunksWithHistory: each chunk with the up to `history` frames before it, the whole movie's; nothing more held", () => {
  const m = whiteNoiseMovie({ frames: 30, height: 2, width: 3, seed: 2 }), HW = 6;
  for (const [chunk, history] of [[4, 6], [7, 3], [30, 5], [5, 0]]) {
    let next = 0;
    for (const c of chunksWithHistory(movieChunks([m], chunk), history)) {
      assert.equal(c.start, next);
      assert.equal(c.held, Math.min(history, c.start));
      assert.equal(c.data.length, (c.held + c.chunk.frames) * HW);
      assert.deepEqual(c.data, m.data.subarray((c.start - c.held) * HW, (c.start + c.chunk.frames) * HW), `chunk at ${c.start} (chunks of ${chunk}, history ${history})`);
      next += c.chunk.frames;
    }
    assert.equal(next, 30);
  }
  assert.throws(() => [...chunksWithHistory([m], -1)], /history/);
});
