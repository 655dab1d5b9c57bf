/**
 * Stimulus movies for a (simulated) retina. Private to lib/vision; see index.ts.
 *
 * A Movie is T frames of H x W pixels, frame-major then row-major
 * (pixel (t, r, c) at (t H + r) W + c), holding CONTRAST: signed deviations
 * from the mean luminance (0 = grey), one frame every `dt` seconds (default
 * 0.01 s: the ~10 ms bins the retinal phenomena need). Every random draw
 * takes a seed.
 *
 *   whiteNoiseMovie   each pixel (or each checker x checker block) i.i.d. per frame:
 *                     N(0, contrast^2), or +-contrast with `binary`
 *   naturalMovie      a window on a photograph, standardized to zero mean and unit
 *                     std per photograph, times `contrast`; the window follows a
 *                     random walk (each frame it moves by round(N(0, jitter^2))
 *                     pixels per axis, fixational drift) and jumps to a random
 *                     photograph and position every `saccadeEvery` frames
 *   flashTrain        full-field flashes of `duration` frames every `period` frames
 *                     from frame `first`, flash `omit` (0-based) left out
 *   movingBar         a bar `barWidth` pixels wide, uniform across rows, its centre
 *                     at x(t) moving `speed` pixels per frame; with `reverseAt` the
 *                     bar turns at that frame (x(t) = start + speed min(t, R) - speed max(0, t - R)). Pixel c covers
 *                     [c - 1/2, c + 1/2]; its value is contrast times the overlap
 *                     with [x - w/2, x + w/2] (area-sampled, so sub-pixel motion is seen)
 *   concatMovies      movies of one size and dt one after another
 *   contrastSteps     white noise whose std alternates between the given contrasts
 *                     every `stepEvery` frames (contrast adaptation)
 *   movieChunks       movies played one after another, cut into chunks of a fixed number of
 *                     frames (streaming a movie too long to hold); chunksWithHistory adds the
 *                     frames before each chunk that a look-back consumer needs
 *   whiteNoiseParts,  the white-noise and natural movies made lazily in parts (equal, end to
 *   naturalMovieParts end, to the whole movie bit for bit)
 */
import { ArgumentError, checkFinite, checkInteger, checkNumber, checkPositive, Rng } from '../core';
import { checkImage, type GrayImage } from './images';

/** Largest |contrast| accepted: frames are float32, and a Gaussian draw times it must stay finite. */
const MAX_CONTRAST = 1e6;

/** T frames of H x W contrast values, pixel (t, r, c) at (t H + r) W + c. */
export interface Movie {
  frames: number;
  height: number;
  width: number;
  data: Float32Array;
  /** Seconds per frame. */
  dt: number;
}

/** Sizes and frame time common to every generator. */
export interface MovieSize {
  frames: number;
  height: number;
  width: number;
  /** Seconds per frame (default 0.01). */
  dt?: number;
}

/** The checked sizes (dt defaulted). */
function movieSize(o: MovieSize): Required<MovieSize> {
  const frames = checkInteger('frames', o.frames, 1);
  const height = checkInteger('height', o.height, 1);
  const width = checkInteger('width', o.width, 1);
  const dt = o.dt === undefined ? 0.01 : checkPositive('dt', o.dt);
  return { frames, height, width, dt };
}

function emptyMovie(o: MovieSize): Movie {
  const { frames, height, width, dt } = movieSize(o);
  return { frames, height, width, dt, data: new Float32Array(frames * height * width) };
}

/** The one part of a generator asked for whole (its first; parts of the whole length give one). */
function onlyPart<M>(parts: Generator<M>): M {
  return parts.next().value as M;
}

/** Checks a Movie's sizes against its data, and that its values are finite. */
export function checkMovie(name: string, movie: Movie): Movie {
  if (!movie || typeof movie !== 'object' || !(movie.data instanceof Float32Array)) throw new ArgumentError(name, 'a Movie {frames, height, width, data, dt}', movie);
  checkInteger(`${name}.frames`, movie.frames, 1);
  checkInteger(`${name}.height`, movie.height, 1);
  checkInteger(`${name}.width`, movie.width, 1);
  checkPositive(`${name}.dt`, movie.dt);
  if (movie.data.length !== movie.frames * movie.height * movie.width) {
    throw new ArgumentError(`${name}.data`, `frames x height x width = ${movie.frames * movie.height * movie.width} values`, movie.data.length);
  }
  checkFinite(`${name}.data`, movie.data, 'float32');
  return movie;
}

export interface WhiteNoiseOptions extends MovieSize {
  /** Std (Gaussian) or amplitude (binary) of each pixel (default 1). */
  contrast?: number;
  /** Side of the square blocks that share a value (default 1: every pixel independent). */
  checker?: number;
  /** +-contrast with probability 1/2 each instead of Gaussian (default false). */
  binary?: boolean;
  seed: number;
}

/** Fills frame t of `m` with i.i.d. blocks of std `contrast`. */
function fillNoiseFrame(m: Movie, t: number, contrast: number, checker: number, binary: boolean, rng: Rng): void {
  const { height: H, width: W } = m;
  const bw = Math.ceil(W / checker), bh = Math.ceil(H / checker);
  const blocks = new Float64Array(bw * bh);
  for (let i = 0; i < blocks.length; i++) blocks[i] = binary ? (rng.uniform() < 0.5 ? -contrast : contrast) : rng.normal(0, contrast);
  const base = t * H * W;
  for (let r = 0; r < H; r++) {
    const br = Math.floor(r / checker) * bw;
    for (let c = 0; c < W; c++) m.data[base + r * W + c] = blocks[br + Math.floor(c / checker)];
  }
}

/** Spatiotemporal white noise (whiteNoiseParts' one part). */
export function whiteNoiseMovie(options: WhiteNoiseOptions): Movie {
  return onlyPart(whiteNoiseParts(options, movieSize(options).frames));
}

/**
 * whiteNoiseMovie made in parts of at most `partFrames` frames, lazily (a
 * movie too long to hold): the parts put end to end are whiteNoiseMovie(options)
 * bit for bit (one Rng drawn in the same order; whiteNoiseMovie is the one part).
 */
export function* whiteNoiseParts(options: WhiteNoiseOptions, partFrames: number): Generator<Movie> {
  const size = movieSize(options), part = checkInteger('partFrames', partFrames, 1);
  const contrast = options.contrast === undefined ? 1 : checkNumber('contrast', options.contrast, 0, MAX_CONTRAST);
  const checker = checkInteger('checker', options.checker ?? 1, 1);
  const rng = new Rng(checkInteger('seed', options.seed, 0));
  for (let t0 = 0; t0 < size.frames; t0 += part) {
    const m = emptyMovie({ ...size, frames: Math.min(part, size.frames - t0) });
    for (let t = 0; t < m.frames; t++) fillNoiseFrame(m, t, contrast, checker, options.binary === true, rng);
    yield m;
  }
}

export interface NaturalMovieOptions extends MovieSize {
  /** Std of each frame's step of the window, pixels per axis (default 1). */
  jitter?: number;
  /** Frames between jumps to a new photograph and position (default 100; 0: never). */
  saccadeEvery?: number;
  /** Scale of the standardized photograph (default 1). */
  contrast?: number;
  seed: number;
}

/** A natural movie and where its window was on each frame. */
export interface NaturalMovie extends Movie {
  /** Index into `photos` per frame. */
  photo: Int32Array;
  /** Top-left corner of the window per frame. */
  row: Int32Array;
  col: Int32Array;
}

/** Jittered windows on photographs (fixational drift plus saccades; naturalMovieParts' one part). */
export function naturalMovie(photos: readonly GrayImage[], options: NaturalMovieOptions): NaturalMovie {
  return onlyPart(naturalMovieParts(photos, options, movieSize(options).frames));
}

/**
 * naturalMovie made in parts of at most `partFrames` frames, lazily (a movie
 * too long to hold; each part's photo, row and col its own frames'): the parts
 * put end to end are naturalMovie(photos, options) bit for bit (one Rng drawn
 * in the same order, the window's walk carried; naturalMovie is the one part).
 */
export function* naturalMovieParts(photos: readonly GrayImage[], options: NaturalMovieOptions, partFrames: number): Generator<NaturalMovie> {
  if (!Array.isArray(photos) || photos.length === 0) throw new ArgumentError('photos', 'a non-empty array of GrayImage', photos);
  const size = movieSize(options), part = checkInteger('partFrames', partFrames, 1);
  const { height: H, width: W } = size;
  photos.forEach((p, i) => {
    checkImage(`photos[${i}]`, p);
    if (p.width < W || p.height < H) throw new ArgumentError(`photos[${i}]`, `at least ${W} x ${H} pixels`, `${p.width} x ${p.height}`);
  });
  const jitter = options.jitter === undefined ? 1 : checkNumber('jitter', options.jitter, 0);
  const every = checkInteger('saccadeEvery', options.saccadeEvery ?? 100, 0);
  const contrast = options.contrast === undefined ? 1 : checkNumber('contrast', options.contrast, 0, MAX_CONTRAST);
  const rng = new Rng(checkInteger('seed', options.seed, 0));
  // per-photograph standardization, so every photograph drives the retina at the same overall contrast
  const stats = photos.map((p) => {
    let s = 0, s2 = 0;
    for (const v of p.pixels) { s += v; s2 += v * v; }
    const mean = s / p.pixels.length;
    return { mean, scale: contrast / Math.sqrt(Math.max(s2 / p.pixels.length - mean * mean, 1e-12)) };
  });
  let k = 0, r0 = 0, c0 = 0;
  for (let t0 = 0; t0 < size.frames; t0 += part) {
    const m = emptyMovie({ ...size, frames: Math.min(part, size.frames - t0) });
    const photo = new Int32Array(m.frames), row = new Int32Array(m.frames), col = new Int32Array(m.frames);
    for (let tl = 0; tl < m.frames; tl++) {
      const t = t0 + tl, p0 = photos[k];
      if (t === 0 || (every > 0 && t % every === 0)) {
        k = rng.int(photos.length);
        r0 = rng.int(photos[k].height - H + 1);
        c0 = rng.int(photos[k].width - W + 1);
      } else {
        r0 = Math.min(Math.max(r0 + Math.round(rng.normal(0, jitter)), 0), p0.height - H);
        c0 = Math.min(Math.max(c0 + Math.round(rng.normal(0, jitter)), 0), p0.width - W);
      }
      const p = photos[k], { mean, scale } = stats[k];
      photo[tl] = k; row[tl] = r0; col[tl] = c0;
      for (let r = 0; r < H; r++) {
        const src = (r0 + r) * p.width + c0, dst = (tl * H + r) * W;
        for (let c = 0; c < W; c++) m.data[dst + c] = (p.pixels[src + c] - mean) * scale;
      }
    }
    yield Object.assign(m, { photo, row, col });
  }
}

export interface FlashTrainOptions extends MovieSize {
  /** Frames from one flash onset to the next. */
  period: number;
  /** Frames each flash lasts (default 1). */
  duration?: number;
  /** Onset frame of the first flash (default 0). */
  first?: number;
  /** Number of flashes in the train, the omitted one included. */
  count: number;
  /** Index (0-based) of the flash left out; -1 for none (default: the last, count - 1). */
  omit?: number;
  /** Full-field contrast of a flash; its sign is the polarity (default 1: bright). */
  contrast?: number;
}

/** A flash train: the onsets shown and the onset that was left out. */
export interface FlashTrain extends Movie {
  onsets: number[];
  /** Onset frame the omitted flash would have had (null when none is omitted). */
  omitted: number | null;
}

/** A periodic full-field flash train with one flash omitted (the omitted-stimulus response). */
export function flashTrain(options: FlashTrainOptions): FlashTrain {
  const m = emptyMovie(options);
  const period = checkInteger('period', options.period, 1);
  const duration = checkInteger('duration', options.duration ?? 1, 1, period);
  const first = checkInteger('first', options.first ?? 0, 0);
  const count = checkInteger('count', options.count, 1);
  const omit = checkInteger('omit', options.omit ?? count - 1, -1, count - 1);
  const contrast = options.contrast === undefined ? 1 : checkNumber('contrast', options.contrast, -MAX_CONTRAST, MAX_CONTRAST);
  if (first + (count - 1) * period + duration > m.frames) {
    throw new ArgumentError('frames', `at least first + (count - 1) period + duration = ${first + (count - 1) * period + duration}`, m.frames);
  }
  const HW = m.height * m.width, onsets: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i === omit) continue;
    const t0 = first + i * period;
    onsets.push(t0);
    m.data.fill(contrast, t0 * HW, (t0 + duration) * HW);
  }
  return Object.assign(m, { onsets, omitted: omit >= 0 ? first + omit * period : null });
}

export interface MovingBarOptions extends MovieSize {
  /** Bar width in pixels (default 2). */
  barWidth?: number;
  /** Pixels per frame, signed (default 0.5: rightwards). */
  speed?: number;
  /** Centre of the bar at frame 0, in pixel coordinates (default: half a bar left of column 0). */
  start?: number;
  /** Frame at which the velocity flips sign (default: never). */
  reverseAt?: number;
  /** Bar contrast on the grey background (default 1). */
  contrast?: number;
}

/** A bar movie and the bar's centre on each frame. */
export interface BarMovie extends Movie {
  position: Float64Array;
}

/** A vertical bar moving horizontally, optionally reversing (motion anticipation, motion reversal). */
export function movingBar(options: MovingBarOptions): BarMovie {
  const m = emptyMovie(options);
  const bw = options.barWidth === undefined ? 2 : checkPositive('barWidth', options.barWidth);
  const speed = options.speed === undefined ? 0.5 : checkNumber('speed', options.speed);
  const start = options.start === undefined ? -0.5 - bw / 2 : checkNumber('start', options.start);
  const reverseAt = options.reverseAt === undefined ? Infinity : checkInteger('reverseAt', options.reverseAt, 0);
  const contrast = options.contrast === undefined ? 1 : checkNumber('contrast', options.contrast, -MAX_CONTRAST, MAX_CONTRAST);
  const { height: H, width: W } = m;
  const position = new Float64Array(m.frames);
  let x = start;
  for (let t = 0; t < m.frames; t++) {
    position[t] = x;
    const lo = x - bw / 2, hi = x + bw / 2;
    for (let c = 0; c < W; c++) {
      const overlap = Math.max(0, Math.min(hi, c + 0.5) - Math.max(lo, c - 0.5));
      if (overlap > 0) for (let r = 0; r < H; r++) m.data[(t * H + r) * W + c] = contrast * overlap;
    }
    x += t < reverseAt ? speed : -speed; // the turning point is frame reverseAt itself
  }
  return Object.assign(m, { position });
}

export interface ContrastStepOptions extends MovieSize {
  /** The contrasts (white-noise std) taken in turn (default [0.3, 1]). */
  contrasts?: readonly number[];
  /** Frames per contrast epoch. */
  stepEvery: number;
  checker?: number;
  seed: number;
}

/** White noise with stepped contrast and the contrast of each frame. */
export interface ContrastStepMovie extends Movie {
  contrast: Float64Array;
}

/** White noise whose contrast alternates (contrast adaptation). */
export function contrastSteps(options: ContrastStepOptions): ContrastStepMovie {
  const m = emptyMovie(options);
  const contrasts = options.contrasts ?? [0.3, 1];
  if (!Array.isArray(contrasts) || contrasts.length === 0) throw new ArgumentError('contrasts', 'a non-empty array of contrasts >= 0', contrasts);
  contrasts.forEach((c, i) => checkNumber(`contrasts[${i}]`, c, 0, MAX_CONTRAST));
  const every = checkInteger('stepEvery', options.stepEvery, 1);
  const checker = checkInteger('checker', options.checker ?? 1, 1);
  const rng = new Rng(checkInteger('seed', options.seed, 0));
  const contrast = new Float64Array(m.frames);
  for (let t = 0; t < m.frames; t++) {
    contrast[t] = contrasts[Math.floor(t / every) % contrasts.length];
    fillNoiseFrame(m, t, contrast[t], checker, false, rng);
  }
  return Object.assign(m, { contrast });
}

/** Movies of one frame size and dt, one after another. */
export function concatMovies(movies: readonly Movie[]): Movie {
  if (!Array.isArray(movies) || movies.length === 0) throw new ArgumentError('movies', 'a non-empty array of Movie', movies);
  movies.forEach((m, i) => checkMovie(`movies[${i}]`, m));
  const { height, width, dt } = movies[0];
  movies.forEach((m, i) => {
    if (m.height !== height || m.width !== width || m.dt !== dt) throw new ArgumentError(`movies[${i}]`, `${height} x ${width} frames at dt ${dt} (movies[0]'s)`, `${m.height} x ${m.width} at ${m.dt}`);
  });
  const frames = movies.reduce((s, m) => s + m.frames, 0), data = new Float32Array(frames * height * width);
  let o = 0;
  for (const m of movies) { data.set(m.data, o); o += m.data.length; }
  return { frames, height, width, dt, data };
}

/**
 * Movies played one after another and cut into chunks of `chunkFrames`
 * frames (the last one shorter), stopping after `totalFrames` frames (default:
 * all of them): concatMovies(parts) cut at totalFrames, without ever holding
 * more than one chunk and the part being read. The parts are drawn lazily
 * from the iterable, so a generator of segments (PAPER=1's training movie)
 * is made only as it is played. Each chunk is a fresh array.
 */
export function* movieChunks(parts: Iterable<Movie>, chunkFrames: number, total?: number): Generator<Movie> {
  checkInteger('chunkFrames', chunkFrames, 1);
  const totalFrames = total === undefined ? Infinity : checkInteger('totalFrames', total, 1);
  let chunk: Movie | null = null, filled = 0, played = 0, first: Movie | null = null;
  for (const part of parts) {
    checkMovie('parts[]', part);
    first ??= part;
    if (part.height !== first.height || part.width !== first.width || part.dt !== first.dt) {
      throw new ArgumentError('parts[]', `${first.height} x ${first.width} frames at dt ${first.dt} (the first part's)`, `${part.height} x ${part.width} at ${part.dt}`);
    }
    const HW = part.height * part.width;
    for (let t = 0; t < part.frames && played < totalFrames;) {
      chunk ??= { frames: Math.min(chunkFrames, totalFrames - played), height: part.height, width: part.width, dt: part.dt, data: new Float32Array(Math.min(chunkFrames, totalFrames - played) * HW) };
      const n = Math.min(part.frames - t, chunk.frames - filled);
      chunk.data.set(part.data.subarray(t * HW, (t + n) * HW), filled * HW);
      t += n; filled += n; played += n;
      if (filled === chunk.frames) { yield chunk; chunk = null; filled = 0; }
    }
    if (played >= totalFrames) return;
  }
  if (chunk && filled > 0) yield { ...chunk, frames: filled, data: chunk.data.slice(0, filled * chunk.height * chunk.width) };
}

/** A chunk of a movie played in chunks, with the frames before it that a consumer of `history` frames keeps (chunksWithHistory). */
export interface ChunkWithHistory {
  chunk: Movie;
  /** Index of the chunk's first frame in the whole movie. */
  start: number;
  /** Frames of history before the chunk: min(history, start). */
  held: number;
  /** The held frames then the chunk's, [held + chunk.frames, height, width]: frame start - held + k at k H W. */
  data: Float32Array;
}

/** Checks a ChunkWithHistory: a valid chunk, whole counts, held <= start, and data of held + chunk frames (finite). */
export function checkChunkWithHistory(name: string, c: ChunkWithHistory): ChunkWithHistory {
  if (!c || typeof c !== 'object') throw new ArgumentError(name, 'a ChunkWithHistory (chunksWithHistory)', c);
  checkMovie(`${name}.chunk`, c.chunk);
  checkInteger(`${name}.start`, c.start, 0);
  checkInteger(`${name}.held`, c.held, 0, c.start);
  const n = (c.held + c.chunk.frames) * c.chunk.height * c.chunk.width;
  if (!(c.data instanceof Float32Array) || c.data.length !== n) throw new ArgumentError(`${name}.data`, `a Float32Array of (held + chunk frames) x height x width = ${n} values`, c.data?.length);
  checkFinite(`${name}.data`, c.data, 'float32');
  return c;
}

/**
 * Chunks (movieChunks) each with up to `history` frames before it carried
 * over, for consumers that look back in time (a window folded into channels,
 * a temporal filter): nothing held grows with the movie (history + one chunk).
 */
export function* chunksWithHistory(chunks: Iterable<Movie>, history: number): Generator<ChunkWithHistory> {
  checkInteger('history', history, 0);
  let held = new Float32Array(0), start = 0;
  for (const chunk of chunks) {
    checkMovie('chunks[]', chunk);
    const HW = chunk.height * chunk.width, keep = Math.min(history, start), data = new Float32Array((keep + chunk.frames) * HW);
    data.set(held.subarray(held.length - keep * HW), 0);
    data.set(chunk.data, keep * HW);
    yield { chunk, start, held: keep, data };
    held = data;
    start += chunk.frames;
  }
}
