/**
 * Mode strengths of deep linear networks from small balanced initialisation
 * (Saxe, McClelland & Ganguli 2014, arXiv 1312.6120, and PNAS 2019, arXiv
 * 1810.10531).
 *
 * A network of D weight matrices, y_hat = W_D ... W_1 x, trained by gradient
 * flow on 1/2 ||Syx - W Sxx||-type squared loss with whitened inputs
 * (Sxx = I) decouples in the singular basis of Syx = sum_a s_a u_a v_a^T
 * when it starts balanced and aligned: the product is sum_a u_a(t) u_a v_a^T,
 * each layer carrying u^(1/D) along the mode. Time is in units of tau, so
 * gradient descent with learning rate lr is at t = lr * step. Each mode obeys
 *
 *   du/dt = D u^(2 - 2/D) (s - u)
 *   D = 1 (shallow):  u(t) = s + (u0 - s) e^-t
 *   D = 2:            u(t) = s e^(2st) / (e^(2st) - 1 + s/u0)      (a sigmoid)
 *   D >= 3:           with z = ln(u / (s - u)), dz/dt = D s u^(1 - 2/D), so
 *                     t(z) = int_z0^z dz' / (D s u(z')^(1 - 2/D)): smooth in z,
 *                     integrated by the trapezoid rule on a fine grid of z
 *                     (step <= 1e-3, relative error ~1e-7) and inverted by interpolation.
 *
 * Transition time: the time at which u reaches s/2,
 *   D = 1: ln 2 (for u0 << s);  D = 2: ln(s/u0 - 1) / (2s);  D >= 3: t(z = 0).
 * Stronger modes are learned earlier and more abruptly for D >= 2; a shallow
 * network learns every mode on the same timescale.
 */
import { ArgumentError, checkInteger, checkNumber, checkPositive } from '../core';

/** The D = 2 sigmoid u(t) = s e^(2st) / (e^(2st) - 1 + s/u0), written to stay finite for large 2st. */
export function modeStrength(s: number, u0: number, t: number): number {
  checkPositive('s', s);
  checkPositive('u0', u0);
  checkNumber('t', t, 0);
  // s / (1 + e^(-2st) (s/u0 - 1)): no overflow for any t >= 0.
  return s / (1 + Math.exp(-2 * s * t) * (s / u0 - 1));
}

/** The shallow (D = 1) solution u(t) = s + (u0 - s) e^-t; every mode on the same timescale. */
export function shallowModeStrength(s: number, u0: number, t: number): number {
  checkNumber('s', s);
  checkNumber('u0', u0);
  checkNumber('t', t, 0);
  return s + (u0 - s) * Math.exp(-t);
}

function checkModeArgs(s: number, u0: number, depth: number): void {
  checkPositive('s', s);
  checkPositive('u0', u0);
  checkInteger('depth', depth, 1, 64);
  if (depth >= 3 && !(u0 < s)) throw new ArgumentError('u0', `below s = ${s} for depth >= 3 (growth from small initialisation)`, u0);
}

const DZ = 1e-3;

/** Cumulative times t(z) on the grid z0, z0 + DZ, ... up to zMax for depth >= 3 (header). */
function deepTimeGrid(s: number, u0: number, depth: number, zMax: number): { z0: number; dz: number; times: Float64Array } {
  const z0 = Math.log(u0 / (s - u0));
  const n = Math.max(2, Math.ceil((zMax - z0) / DZ) + 1);
  const dz = (zMax - z0) / (n - 1); // the grid ends exactly at zMax
  const times = new Float64Array(n);
  const p = 1 - 2 / depth;
  // 1 / (D s u^p) with u = s sigmoid(z), in logs: u^-p = exp(-p ln u), ln u = ln s - log1p(e^-z).
  const rate = (z: number) => Math.exp(-p * (Math.log(s) - (z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z))))) / (depth * s);
  let prev = rate(z0);
  for (let i = 1; i < n; i++) {
    const r = rate(z0 + i * dz);
    times[i] = times[i - 1] + 0.5 * dz * (prev + r);
    prev = r;
  }
  return { z0, dz, times };
}

/**
 * The strength u(t) of a mode with singular value s, initial strength u0,
 * in a network of `depth` weight matrices, at each of `times` (header).
 */
export function deepModeStrengths(s: number, u0: number, times: readonly number[], depth: number): number[] {
  checkModeArgs(s, u0, depth);
  if ((!Array.isArray(times) && !ArrayBuffer.isView(times)) || times.length === 0) throw new ArgumentError('times', 'a non-empty array of times >= 0', times);
  for (let i = 0; i < times.length; i++) checkNumber(`times[${i}]`, times[i], 0);
  if (depth === 1) return Array.from(times, (t) => shallowModeStrength(s, u0, t));
  if (depth === 2) return Array.from(times, (t) => modeStrength(s, u0, t));
  // z beyond 40: u within s e^-40 of s, i.e. learned to double precision.
  const { z0, dz, times: grid } = deepTimeGrid(s, u0, depth, 40);
  return Array.from(times, (t) => {
    if (t >= grid[grid.length - 1]) return s / (1 + Math.exp(-40 - (t - grid[grid.length - 1]) * depth * s * Math.pow(s, 1 - 2 / depth)));
    let lo = 0;
    let hi = grid.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (grid[mid] <= t) lo = mid;
      else hi = mid;
    }
    const f = grid[hi] > grid[lo] ? (t - grid[lo]) / (grid[hi] - grid[lo]) : 0;
    const z = z0 + (lo + f) * dz;
    return s / (1 + Math.exp(-z));
  });
}

/** The time at which a mode reaches half its singular value, s/2 (header); Infinity when u0 >= s/2 never crosses from below. */
export function modeTransitionTime(s: number, u0: number, depth: number): number {
  checkModeArgs(s, u0, depth);
  if (u0 >= s / 2) return 0;
  if (depth === 1) return Math.log((s - u0) / (s / 2));
  if (depth === 2) return Math.log(s / u0 - 1) / (2 * s);
  const { times } = deepTimeGrid(s, u0, depth, 0);
  return times[times.length - 1];
}
