/**
 * The songbird recording of the seqNMF paper (Mackevicius, Bahle et al. 2019,
 * eLife 8:e38471): `MackeviciusData.mat` with the HVC calcium signal NEURAL
 * (75 neurons x 666 frames at 30 Hz) and the song spectrogram SONG
 * (141 frequencies x 4440 bins at 200 Hz). The file is used where it lies,
 * never copied into the project.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ArgumentError, checkString } from '../core';
import { DataFormatError, DataNotFoundError } from './errors';
import { MatArray, readMat } from './mat';

export interface SongbirdData {
  /** Spectrogram, 141 x 4440, values in [0, 1]. */
  song: MatArray;
  /** Calcium signal, 75 x 666, values in [0, 0.95]. */
  neural: MatArray;
  /** Sampling rate of SONG (200 Hz). */
  songFs: number;
  /** Sampling rate of NEURAL (30 Hz). */
  videoFs: number;
  file: string;
}

/**
 * Where MackeviciusData.mat is looked for when no file is named: beside the
 * project (`../shared/data/`) and in its `data/` folder. The project root is
 * found from this file's real path (notebooks reach lib/ through a symlink)
 * and, as a fallback, from the working folder (a notebook runs in notebooks/).
 */
export function songbirdCandidates(): string[] {
  let here = __dirname;
  try { here = fs.realpathSync(__dirname); } catch { /* keep the unresolved path */ }
  const roots = [path.resolve(here, '..', '..'), process.cwd(), path.resolve(process.cwd(), '..')];
  const out: string[] = [];
  for (const root of roots) {
    for (const f of [path.resolve(root, '..', 'shared', 'data', 'MackeviciusData.mat'), path.resolve(root, 'data', 'MackeviciusData.mat')]) {
      if (!out.includes(f)) out.push(f);
    }
  }
  return out;
}

/** Path of MackeviciusData.mat: `file`, else $SONGBIRD_MAT, else the candidates above. */
export function findSongbirdMat(file?: string): string {
  if (file !== undefined) checkString('file', file);
  const named = file ?? process.env.SONGBIRD_MAT;
  const candidates = named ? [path.resolve(named)] : songbirdCandidates();
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new DataNotFoundError(
    `MackeviciusData.mat not found (looked in ${candidates.join(', ')}): download it from the seqNMF repository ` +
      '(https://github.com/FeeLab/seqNMF, file MackeviciusData.mat) and pass { file } or set SONGBIRD_MAT to its path',
    candidates,
  );
}

/** Reads SONG, NEURAL, SONGfs and VIDEOfs from MackeviciusData.mat. */
export function loadSongbird(options: { file?: string } = {}): SongbirdData {
  if (options === null || typeof options !== 'object') throw new ArgumentError('options', 'an options object', options);
  const file = findSongbirdMat(options.file);
  const mat = readMat(file, { unsupported: 'skip' });
  for (const name of ['SONG', 'NEURAL', 'SONGfs', 'VIDEOfs']) {
    if (!mat.has(name)) throw new DataFormatError(file, `variable ${name} is missing (found ${mat.names.join(', ') || 'none'}): not the seqNMF songbird file`);
  }
  return { song: mat.get('SONG'), neural: mat.get('NEURAL'), songFs: mat.get('SONGfs').scalar(), videoFs: mat.get('VIDEOfs').scalar(), file };
}
