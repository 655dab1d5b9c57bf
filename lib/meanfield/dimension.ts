/**
 * The dimension of chaotic activity from two-site cavity theory (Clark, Abbott
 * & Litwin-Kumar, PRL 131, 118401, 2023; arXiv 2207.12373): the participation
 * ratio of the equal-time covariance C of x or of phi(x) in an N-unit random
 * network is extensive,
 *
 *   PR / N = C(0)^2 / (C(0)^2 + psi(0, 0)),
 *
 * C(0) the single-unit variance and psi(0, 0) = N x the mean squared
 * cross-covariance, the double integral over (w1, w2) of (their Eqs. 3, 4, 16,
 * as coded in davidclark1/rnn-lyapunov participation.py):
 *
 *   psi_phi = (M - 1) C_phi(w1) C_phi(w2),        M = 1 / |1 - g^2 S_phi(w1) S_phi(w2)|^2
 *   psi_x   = |U|^2 C_phi(w1) C_phi(w2) + 2 Re[U] C_xphi(w1) C_xphi(w2),
 *             U = g^2 S_x(w1) S_x(w2) / (1 - g^2 S_phi(w1) S_phi(w2))
 *
 * with S_x the linear response, S_phi = <phi'> S_x, C_xphi = <phi'> C_x and
 * C_x, C_phi the spectra of the stationary DMFT lag functions (./dmft.ts):
 *
 *   flow   S_x(w) = 1 / (1 + i w),                    psi(0,0) = int int psi dw1 dw2 / (2 pi)^2
 *   map    S_x(t) = delta / (e^{i t} - (1 - delta)),  psi(0,0) = int int psi dt1 dt2 / (2 pi)^2 over [-pi, pi)^2
 *
 * The spectra come from zero-padded FFTs of the lag functions (length
 * `frequencies`, a power of two, at least 2M); the double sum skips
 * frequencies where both spectra are below 1e-8 of their peaks (the
 * interpolation floor of the lag functions is 1e-11 to 1e-9 of the peak; what is skipped changes PR by less than 1e-7). At delta = 1
 * the map's lags are white and PR_phi/N = 1 - r, PR_x/N = (1 - r)/(2 - r), r = (g <phi'>)^4.
 *
 * Exports: ParticipationRatioTheory, participationRatioTheory, participationRatioAgainstG.
 */
import { ArgumentError, checkInteger, throwIfInterrupted } from '../core';
import { evenSpectrum } from './fft';
import { StationaryDmft, StationaryDmftOptions, stationaryDmft } from './dmft';

/** Relative spectrum level below which a frequency is left out of the double sum. */
const SPECTRUM_CUT = 1e-8;

export interface ParticipationRatioTheory {
  g: number;
  /** PR / N of x and of phi(x) (0 in the quiescent phase, where the theory has no activity). */
  prX: number;
  prPhi: number;
  /** Single-unit variances and psi(0, 0). */
  varX: number;
  varPhi: number;
  psiX: number;
  psiPhi: number;
  /** FFT length and how many frequencies entered the double sum. */
  frequencies: number;
  used: number;
}

/** PR / N from a solved stationary DMFT (see the file header). */
export function participationRatioTheory(dmft: StationaryDmft, options: { frequencies?: number } = {}): ParticipationRatioTheory {
  if (!dmft || !(dmft.autocovariance instanceof Float64Array)) throw new ArgumentError('dmft', 'a result of stationaryDmft', dmft);
  const { g, autocovariance: D, phiAutocovariance: P, meanSlope: m } = dmft;
  const varX = D[0], varPhi = P[0];
  if (dmft.quiescent) return { g, prX: 0, prPhi: 0, varX, varPhi, psiX: 0, psiPhi: 0, frequencies: 0, used: 0 };
  const M = D.length - 1;
  let L = 1;
  const want = checkInteger('frequencies', options.frequencies ?? 16384, 2);
  while (L < Math.max(2 * M, want)) L <<= 1;
  const isMap = dmft.delta !== null;
  const h = isMap ? 1 : dmft.lags[1] - dmft.lags[0];
  const cx = evenSpectrum(D, L), cp = evenSpectrum(P, L);
  let mx = 0, mp = 0;
  for (let k = 0; k < L; k++) {
    cx[k] *= h; cp[k] *= h;
    mx = Math.max(mx, Math.abs(cx[k]));
    mp = Math.max(mp, Math.abs(cp[k]));
  }
  const idx: number[] = [];
  for (let k = 0; k < L; k++) if (Math.abs(cx[k]) > SPECTRUM_CUT * mx || Math.abs(cp[k]) > SPECTRUM_CUT * mp) idx.push(k);
  const n = idx.length;
  // response S_x at each used frequency
  const sr = new Float64Array(n), si = new Float64Array(n), Cx = new Float64Array(n), Cp = new Float64Array(n);
  const b = isMap ? 1 - dmft.delta! : 0;
  for (let t = 0; t < n; t++) {
    const k = idx[t];
    const w = (2 * Math.PI * (k < L / 2 ? k : k - L)) / (L * h);
    if (isMap) {
      // delta / (e^{iw} - b)
      const dr = Math.cos(w) - b, di = Math.sin(w), den = dr * dr + di * di;
      sr[t] = (dmft.delta! * dr) / den;
      si[t] = (-dmft.delta! * di) / den;
    } else {
      sr[t] = 1 / (1 + w * w);
      si[t] = -w / (1 + w * w);
    }
    Cx[t] = cx[idx[t]];
    Cp[t] = cp[idx[t]];
  }
  const g2 = g * g, gm2 = g2 * m * m;
  let psiPhi = 0, psiX = 0;
  for (let i = 0; i < n; i++) {
    if ((i & 63) === 0) throwIfInterrupted('participationRatioTheory', () => `at frequency row ${i} of ${n}`, () => ({}));
    const ar = sr[i], ai = si[i], cpi = Cp[i], cxi = m * Cx[i];
    for (let j = 0; j < n; j++) {
      // product S_x(w1) S_x(w2)
      const pr = ar * sr[j] - ai * si[j], pi = ar * si[j] + ai * sr[j];
      // denominator 1 - g^2 <phi'>^2 S_x S_x
      const dr = 1 - gm2 * pr, di = -gm2 * pi, den = dr * dr + di * di;
      const Mf = 1 / den;
      // U = g^2 S S / (1 - ...)
      const ur = (g2 * (pr * dr + pi * di)) / den;
      const ui = (g2 * (pi * dr - pr * di)) / den;
      const cc = cpi * Cp[j];
      psiPhi += (Mf - 1) * cc;
      psiX += (ur * ur + ui * ui) * cc + 2 * ur * cxi * m * Cx[j];
    }
  }
  const scale = 1 / ((L * h) * (L * h));
  psiPhi *= scale;
  psiX *= scale;
  return {
    g, prX: (varX * varX) / (varX * varX + psiX), prPhi: (varPhi * varPhi) / (varPhi * varPhi + psiPhi),
    varX, varPhi, psiX, psiPhi, frequencies: L, used: n,
  };
}

/** PR / N against g: one DMFT solve and one PR integral per gain. */
export function participationRatioAgainstG(
  gains: readonly number[], options: Omit<StationaryDmftOptions, 'g'> & { frequencies?: number } = {},
  onGain?: (done: number, total: number) => void,
): { dmft: StationaryDmft; pr: ParticipationRatioTheory }[] {
  const { frequencies, ...dmftOptions } = options;
  return gains.map((g, i) => {
    const dmft = stationaryDmft({ ...dmftOptions, g });
    const pr = participationRatioTheory(dmft, { frequencies });
    onGain?.(i + 1, gains.length);
    return { dmft, pr };
  });
}
