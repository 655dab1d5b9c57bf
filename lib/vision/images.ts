/**
 * Photographs from Debian packages, decoded to grayscale. Private to
 * lib/vision; see index.ts.
 *
 * Decoding: JPEG by jpeg-js, PNG by pngjs (both pure JavaScript, from npm);
 * the format is recognised by its magic bytes, not the file name. Colour
 * becomes luminance Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601), values in
 * [0, 1]; alpha is ignored. A missing file raises DataNotFoundError naming the
 * path and the Debian package; an unreadable one DataFormatError naming the
 * path and the decoder's complaint.
 *
 * Downsampling: block means over f x f pixels with the integer
 * f = floor(shortSide / target), so every photograph keeps a short side of at
 * least `target` pixels (the mate photographs are 1050-1920 pixels high, the
 * scikit-image ones 300-512).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ArgumentError, checkFinite, checkInteger } from '../core';
import { DataFormatError, DataNotFoundError } from '../data';

/** A grayscale image: row-major, pixel (r, c) at r * width + c. */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Float32Array;
  /** Where it came from (a path, or a description). */
  source: string;
}

/** A Debian package's photographs: where they lie and which files are photographs (not drawings). */
export interface PhotoSource {
  package: string;
  dir: string;
  files: readonly string[];
}

/**
 * The natural photographs of two Debian (bookworm) packages, 23 in all:
 * mate-backgrounds' 12 nature JPEGs and 11 of python3-skimage's sample photos
 * (its drawings, charts, microscopy, the fundus image, the Hubble field and the
 * near-duplicate right motorcycle view left out).
 */
export const PHOTO_SOURCES: readonly PhotoSource[] = [
  {
    package: 'mate-backgrounds',
    dir: '/usr/share/backgrounds/mate/nature',
    files: ['Aqua.jpg', 'Blinds.jpg', 'Dune.jpg', 'FreshFlower.jpg', 'Garden.jpg', 'GreenMeadow.jpg', 'LadyBird.jpg', 'RainDrops.jpg',
      'Storm.jpg', 'TwoWings.jpg', 'Wood.jpg', 'YellowFlower.jpg'],
  },
  {
    package: 'python3-skimage',
    dir: '/usr/lib/python3/dist-packages/skimage/data',
    files: ['astronaut.png', 'camera.png', 'chelsea.png', 'coffee.png', 'rocket.jpg', 'motorcycle_left.png', 'coins.png', 'moon.png',
      'grass.png', 'gravel.png', 'brick.png'],
  },
];

const isJpeg = (b: Buffer) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const isPng = (b: Buffer) => b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a;

/** RGBA bytes (4 per pixel) to luminance in [0, 1]. */
function luminance(rgba: Uint8Array | Buffer, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
  return out;
}

/** Checks a GrayImage's sizes and that its pixels are width x height finite values. */
export function checkImage(name: string, image: GrayImage): GrayImage {
  if (!image || typeof image !== 'object') throw new ArgumentError(name, 'a GrayImage {width, height, pixels}', image);
  checkInteger(`${name}.width`, image.width, 1);
  checkInteger(`${name}.height`, image.height, 1);
  if (!image.pixels || image.pixels.length !== image.width * image.height) {
    throw new ArgumentError(`${name}.pixels`, `width x height = ${image.width * image.height} values`, image.pixels?.length);
  }
  checkFinite(`${name}.pixels`, image.pixels);
  return image;
}

/** Decodes a JPEG or PNG file to grayscale; `packageName` goes into the not-found message. */
export function decodeImage(file: string, packageName?: string): GrayImage {
  if (typeof file !== 'string' || file.length === 0) throw new ArgumentError('file', 'a path to a JPEG or PNG file', file);
  if (!existsSync(file)) {
    const how = packageName ? `: install Debian's ${packageName} (sudo apt-get install ${packageName}; \`npm run setup\` does it with root rights)` : '';
    throw new DataNotFoundError(`image ${file} not found${how}`, [file]);
  }
  const bytes = readFileSync(file);
  let rgba: { width: number; height: number; data: Uint8Array | Buffer };
  try {
    if (isJpeg(bytes)) rgba = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    else if (isPng(bytes)) rgba = PNG.sync.read(bytes);
    else throw new Error('neither a JPEG (FF D8 FF) nor a PNG signature');
  } catch (e) {
    throw new DataFormatError(file, `cannot decode the image (${(e as Error).message})`);
  }
  if (!(rgba.width > 0 && rgba.height > 0) || rgba.data.length < 4 * rgba.width * rgba.height) {
    throw new DataFormatError(file, `decoded to ${rgba.width}x${rgba.height} with ${rgba.data.length} bytes`);
  }
  return { width: rgba.width, height: rgba.height, pixels: luminance(rgba.data, rgba.width, rgba.height), source: file };
}

/** Block means over factor x factor pixels (a remainder at the right and bottom edges is dropped). */
export function downsample(image: GrayImage, factor: number): GrayImage {
  checkImage('image', image);
  checkInteger('factor', factor, 1);
  if (factor === 1) return image;
  const w = Math.floor(image.width / factor), h = Math.floor(image.height / factor);
  if (w < 1 || h < 1) throw new ArgumentError('factor', `at most the image's short side (${Math.min(image.width, image.height)})`, factor);
  const out = new Float32Array(w * h);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      let s = 0;
      for (let i = 0; i < factor; i++) {
        const row = (r * factor + i) * image.width + c * factor;
        for (let j = 0; j < factor; j++) s += image.pixels[row + j];
      }
      out[r * w + c] = s / (factor * factor);
    }
  }
  return { width: w, height: h, pixels: out, source: image.source };
}

export interface LoadPhotographsOptions {
  /** Photographs to read (default PHOTO_SOURCES). */
  sources?: readonly PhotoSource[];
  /** Downsample each by an integer factor to a short side of at least this many pixels (default 256; 0 keeps full size). */
  shortSide?: number;
  /**
   * A folder for the downsampled images (raw float32 with a JSON header), so
   * that later processes skip the decoding (seconds per large JPEG); an entry
   * is used only while its source file's size and modification time match.
   */
  cacheDir?: string;
}

const cachePath = (cacheDir: string, file: string, shortSide: number) => join(cacheDir, `${file.replace(/[^A-Za-z0-9._-]/g, '_')}.s${shortSide}`);

/** The cached downsampled image of `file`, or null when absent or stale. */
function readCached(cacheDir: string, file: string, shortSide: number): GrayImage | null {
  const st = statSync(file);
  const base = cachePath(cacheDir, file, shortSide);
  try {
    const meta = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
    if (meta.source !== file || meta.size !== st.size || meta.mtimeMs !== st.mtimeMs) return null;
    const buf = readFileSync(`${base}.f32`);
    if (buf.length !== 4 * meta.width * meta.height) return null;
    const pixels = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    return { width: meta.width, height: meta.height, pixels, source: file };
  } catch {
    return null;
  }
}

function writeCached(cacheDir: string, file: string, shortSide: number, img: GrayImage): void {
  const st = statSync(file);
  mkdirSync(cacheDir, { recursive: true });
  const base = cachePath(cacheDir, file, shortSide);
  // pixels first, then the header through a rename: a reader never sees a header without its pixels
  writeFileSync(`${base}.f32`, Buffer.from(img.pixels.buffer, img.pixels.byteOffset, img.pixels.byteLength));
  writeFileSync(`${base}.json.tmp${process.pid}`, JSON.stringify({ source: file, size: st.size, mtimeMs: st.mtimeMs, width: img.width, height: img.height, shortSide }));
  renameSync(`${base}.json.tmp${process.pid}`, `${base}.json`);
}

const decoded = new Map<string, GrayImage>();

/**
 * Every photograph of `sources`, grayscale, downsampled. Downsampled images
 * are kept per process (and in `cacheDir` across processes). Throws DataNotFoundError (naming the paths and the
 * packages) when any photograph is missing.
 */
export function loadPhotographs(options: LoadPhotographsOptions = {}): GrayImage[] {
  const sources = options.sources ?? PHOTO_SOURCES;
  if (!Array.isArray(sources) || sources.length === 0) throw new ArgumentError('sources', 'a non-empty array of {package, dir, files}', sources);
  const target = checkInteger('shortSide', options.shortSide ?? 256, 0);
  const missing: string[] = [];
  const packages = new Set<string>();
  for (const s of sources) {
    for (const f of s.files) {
      const p = `${s.dir}/${f}`;
      if (!existsSync(p)) { missing.push(p); packages.add(s.package); }
    }
  }
  if (missing.length > 0) {
    const list = [...packages].join(' ');
    throw new DataNotFoundError(
      `${missing.length} photograph(s) not found (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}): ` +
      `install Debian's ${list} (sudo apt-get install ${list}; \`npm run setup\` does it with root rights)`, missing);
  }
  const cacheDir = options.cacheDir;
  if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir.length === 0)) throw new ArgumentError('cacheDir', 'a folder path', cacheDir);
  const out: GrayImage[] = [];
  for (const s of sources) {
    for (const f of s.files) {
      const p = `${s.dir}/${f}`;
      const key = `${p}|${target}`;
      // with a cache folder it is read first (a few small files), so an edited source file is seen
      let img = cacheDir ? readCached(cacheDir, p, target) ?? undefined : decoded.get(key);
      if (!img) {
        const full = decodeImage(p, s.package);
        const factor = target > 0 ? Math.max(1, Math.floor(Math.min(full.width, full.height) / target)) : 1;
        img = downsample(full, factor);
        if (cacheDir) writeCached(cacheDir, p, target, img);
      }
      decoded.set(key, img);
      out.push(img);
    }
  }
  return out;
}
