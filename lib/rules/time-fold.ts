/**
 * Time folded into input channels (McIntosh et al. 2016; Tanaka et al.
 * 2019): the retina CNN sees, at time t, the last T frames of the movie as
 * T input channels of one image, so its first conv layer's filter across
 * those channels is a spatiotemporal filter.
 *
 *   movie   m[t, i, j]                 (frames x height x width, row-major)
 *   example n = 0 .. F - T  ends at frame t = n + T - 1
 *   x[n, i, j, k] = m[t - T + 1 + k, i, j]   (k = 0 the oldest frame, k = T - 1 frame t)
 *
 * The examples are in NHWC (the layout of lib/rules conv layers); `times[n]`
 * = t is the frame whose response example n predicts. The channel order
 * (oldest first) is the authors' rolling window (baccuslab/torch-deep-retina,
 * utils.rolling_window). Private to lib/rules; exported through index.ts.
 */
import { ArgumentError, checkFinite, checkInteger } from '../core';

export interface FoldedMovie {
  /** Examples [N, height, width, window], row-major float32. */
  x: Float32Array;
  shape: [number, number, number, number];
  /** The last frame of each example (the time it predicts): window - 1 .. frames - 1. */
  times: Int32Array;
}

/**
 * The T-frame windows of a movie as T-channel images: `movie` holds
 * `shape` = [frames, height, width] values (row-major), `window` = T <= frames.
 */
export function foldTime(movie: ArrayLike<number>, shape: readonly number[], window: number): FoldedMovie {
  if (!Array.isArray(shape) || shape.length !== 3) throw new ArgumentError('shape', '[frames, height, width]', shape);
  const [frames, h, w] = shape.map((d, i) => checkInteger(`shape[${i}]`, d, 1));
  if (movie === null || typeof movie !== 'object' || typeof (movie as ArrayLike<number>).length !== 'number') {
    throw new ArgumentError('movie', 'an array of frames x height x width numbers', movie);
  }
  const area = h * w;
  if (movie.length !== frames * area) throw new ArgumentError('movie', `${frames} x ${h} x ${w} = ${frames * area} values (shape)`, `${movie.length} values`);
  const T = checkInteger('window', window, 1, frames);
  checkFinite('movie', movie, 'float32');
  const n = frames - T + 1;
  const x = new Float32Array(n * area * T);
  for (let e = 0; e < n; e++) {
    for (let k = 0; k < T; k++) {
      const src = (e + k) * area;
      // Pixel p of frame e + k goes to channel k of pixel p in example e.
      const dst = e * area * T + k;
      for (let p = 0; p < area; p++) x[dst + p * T] = movie[src + p];
    }
  }
  return { x, shape: [n, h, w, T], times: Int32Array.from({ length: n }, (_, e) => e + T - 1) };
}
