/**
 * Target-based training of rate networks by recursive least squares
 * (rls.ts; time in units of tau, schemes of rate-network.ts).
 *
 * FORCE (Sussillo & Abbott 2009): a network with output feedback,
 *   dx/dt = -x + J phi(x) + W_in u + W_fb z,   z = W_out phi(x),
 * learns W_out online so that z(t) follows f(t). At step t, from the state x_t:
 *   r = phi(x_t), e = W_out r - f(t), RLS update of P and W_out, then one integration step
 * (whose feedback already carries the updated W_out). Teacher forcing (`teacherForced`)
 * feeds f(t) back in place of z and does not learn (the authors' settling trials).
 *
 * full-FORCE (DePasquale, Cueva, Rajan, Escola & Abbott 2018): a target-generating
 * network ("teacher", couplings J_D, driven by the target and hints),
 *   dx_D/dt = -x_D + T(t) + W_in u,   T(t) = J_D phi(x_D) + W_T u_T(t)   (u_T = [f_out, hints]),
 * and a task network ("learner") without feedback, dx/dt = -x + J phi(x) + W_in u, whose
 * whole J (held by a DenseCoupling, edited in place) and readout learn from the same gain:
 *   r = phi(x_t), e_J = J r - T(t), e_z = W_out r - f(t), one shared RLS update of J and W_out.
 * Both networks then step from the same time t; the teacher with its drive T(t) + W_in u(t),
 * integrated by the exponential Euler step as in the authors' code. The task input reaches
 * the teacher through the learner's W_in (one input matrix for both). Teacher forcing drives
 * the learner with T(t) in place of J r and does not learn.
 *
 * Learning steps: every `learnEvery` steps, or (with `learnProbability`) at random with that
 * probability per step, drawn from `seed` (the authors' demos: probability 1 / DTRLS).
 *
 * Exports: ForceRunOptions, ForceRunResult, forceRun, FullForceRunOptions, fullForceRun, normalizedError.
 */
import { ArgumentError, Rng, checkFinite, checkInteger, checkNumber, gemm } from '../core';
import { DenseCoupling } from './coupling';
import { Integrator, RateNetwork } from './rate-network';
import { RecursiveLeastSquares } from './rls';

interface Schedule {
  /** The RLS state; null or absent: no learning. */
  rls?: RecursiveLeastSquares | null;
  /** Learn every this many steps (default 2, Sussillo & Abbott). */
  learnEvery?: number;
  /** Learn at each step with this probability instead (DePasquale et al.: 1 / DTRLS). */
  learnProbability?: number;
  /** Seed of the random schedule (default 0). */
  seed?: number;
  /** Feed the target back (FORCE) or drive the learner with the teacher's currents (full-FORCE); no learning. */
  teacherForced?: boolean;
}

export interface ForceRunOptions extends Schedule {
  dt: number;
  steps: number;
  /** Default 'euler' (Sussillo & Abbott). */
  scheme?: Integrator;
  /** f, steps x outputs. */
  target: Float64Array;
  /** u, steps x inputs (default none). */
  inputs?: Float64Array;
}

export interface ForceRunResult {
  /** z at each step before its update, steps x outputs. */
  outputs: Float64Array;
  /** |Delta W_out| (Frobenius) at each step (0 where no update). */
  weightChange: Float64Array;
  updates: number;
}

function checkSeries(name: string, a: Float64Array | undefined, steps: number, width: number, required: boolean): void {
  if (a === undefined && !required && width === 0) return;
  if (!(a instanceof Float64Array) || a.length !== steps * width) {
    throw new ArgumentError(name, `a Float64Array of steps x ${width} = ${steps * width} entries`, a instanceof Float64Array ? `${a.length} entries` : a);
  }
  checkFinite(name, a);
}

function checkState(name: string, x: Float64Array, N: number): void {
  if (!(x instanceof Float64Array) || x.length !== N) throw new ArgumentError(name, `a Float64Array of N = ${N} states`, x instanceof Float64Array ? `${x.length} entries` : x);
  checkFinite(name, x);
}

function learnSchedule(o: Schedule): (t: number) => boolean {
  if (!o.rls || o.teacherForced) return () => false;
  if (o.learnProbability !== undefined) {
    const p = checkNumber('learnProbability', o.learnProbability, 0, 1);
    const rng = new Rng(checkInteger('seed', o.seed ?? 0, 0, 0xffffffff));
    return () => rng.uniform() < p;
  }
  const every = checkInteger('learnEvery', o.learnEvery ?? 2, 1);
  return (t) => t % every === 0;
}

/** FORCE: see the file header. x (the network's state) advances in place. */
export function forceRun(net: RateNetwork, x: Float64Array, o: ForceRunOptions): ForceRunResult {
  if (!(net instanceof RateNetwork) || net.readout === null || net.feedbackWeights === null) throw new ArgumentError('net', 'a RateNetwork with a readout and feedback weights', net);
  const steps = checkInteger('steps', o?.steps, 0);
  const nOut = net.readout.outputs, N = net.N;
  checkSeries('target', o.target, steps, nOut, true);
  checkSeries('inputs', o.inputs, steps, net.inputs, false);
  if (o.rls && o.rls.N !== N) throw new ArgumentError('rls', `RLS over N = ${N} rates`, `N = ${o.rls.N}`);
  checkState('x', x, N);
  const learnNow = learnSchedule(o);
  const W = net.readout.W;
  const r = new Float64Array(N), z = new Float64Array(nOut), forced = new Float64Array(o.teacherForced ? N : 0);
  const outputs = new Float64Array(steps * nOut), weightChange = new Float64Array(steps);
  let updates = 0;
  for (let t = 0; t < steps; t++) {
    const f = o.target.subarray(t * nOut, (t + 1) * nOut);
    net.rates(x, r);
    net.readout.apply(r, z);
    outputs.set(z, t * nOut);
    if (learnNow(t)) {
      let e2 = 0;
      for (let m = 0; m < nOut; m++) { z[m] -= f[m]; e2 += z[m] * z[m]; }
      const g = o.rls!.gain(r);
      o.rls!.correct(W, nOut, z, g);
      let g2 = 0;
      for (let i = 0; i < N; i++) g2 += g[i] * g[i];
      weightChange[t] = Math.sqrt(e2 * g2);
      updates++;
    }
    const input = o.inputs?.subarray(t * net.inputs, (t + 1) * net.inputs);
    if (o.teacherForced) {
      gemm(1, N, nOut, f, net.feedbackWeights, forced, { transB: true });
      net.step(x, { dt: o.dt, scheme: o.scheme ?? 'euler', input, current: forced, feedback: false });
    } else net.step(x, { dt: o.dt, scheme: o.scheme ?? 'euler', input });
  }
  return { outputs, weightChange, updates };
}

export interface FullForceRunOptions extends Schedule {
  dt: number;
  steps: number;
  /** The learner's scheme (default 'euler'); the teacher always takes exponential Euler steps. */
  scheme?: Integrator;
  /** f_out, steps x outputs. */
  target: Float64Array;
  /** u_T = [f_out, hints], steps x teacher.inputs: the teacher's own inputs. */
  teacherInputs: Float64Array;
  /** u, steps x learner.inputs: the task input (both networks, through the learner's W_in). */
  inputs?: Float64Array;
}

/** full-FORCE: see the file header. Both states advance in place. */
export function fullForceRun(teacher: RateNetwork, learner: RateNetwork, xTeacher: Float64Array, xLearner: Float64Array, o: FullForceRunOptions): ForceRunResult {
  if (!(learner instanceof RateNetwork) || learner.readout === null || !(learner.coupling instanceof DenseCoupling) || learner.feedbackWeights !== null) {
    throw new ArgumentError('learner', 'a RateNetwork with a DenseCoupling, a readout and no feedback', learner);
  }
  if (!(teacher instanceof RateNetwork) || teacher.N !== learner.N || teacher.inputWeights === null) throw new ArgumentError('teacher', `a RateNetwork of N = ${learner.N} with input weights for [f_out, hints]`, teacher);
  const steps = checkInteger('steps', o?.steps, 0);
  const N = learner.N, nOut = learner.readout.outputs, nIn = learner.inputs;
  checkSeries('target', o.target, steps, nOut, true);
  checkSeries('teacherInputs', o.teacherInputs, steps, teacher.inputs, true);
  checkSeries('inputs', o.inputs, steps, nIn, false);
  if (o.rls && o.rls.N !== N) throw new ArgumentError('rls', `RLS over N = ${N} rates`, `N = ${o.rls.N}`);
  checkState('xTeacher', xTeacher, N);
  checkState('xLearner', xLearner, N);
  const learnNow = learnSchedule(o);
  const J = learner.coupling.J, W = learner.readout.W;
  const rD = new Float64Array(N), r = new Float64Array(N), T = new Float64Array(N), taskCurrent = new Float64Array(N), drive = new Float64Array(N);
  const eJ = new Float64Array(N), z = new Float64Array(nOut);
  const outputs = new Float64Array(steps * nOut), weightChange = new Float64Array(steps);
  let updates = 0;
  for (let t = 0; t < steps; t++) {
    const f = o.target.subarray(t * nOut, (t + 1) * nOut);
    const u = o.inputs?.subarray(t * nIn, (t + 1) * nIn);
    // T(t) = J_D phi(x_D) + W_T u_T(t), from the teacher's state at time t
    teacher.coupling.apply(teacher.rates(xTeacher, rD), T);
    gemm(1, N, teacher.inputs, o.teacherInputs.subarray(t * teacher.inputs, (t + 1) * teacher.inputs), teacher.inputWeights, T, { transB: true, beta: 1 });
    if (u !== undefined) gemm(1, N, nIn, u, learner.inputWeights!, taskCurrent, { transB: true });
    learner.rates(xLearner, r);
    learner.readout.apply(r, z);
    outputs.set(z, t * nOut);
    if (learnNow(t)) {
      learner.coupling.apply(r, eJ);
      let e2 = 0;
      for (let i = 0; i < N; i++) eJ[i] -= T[i];
      for (let m = 0; m < nOut; m++) { z[m] -= f[m]; e2 += z[m] * z[m]; }
      const g = o.rls!.gain(r);
      o.rls!.correct(J, N, eJ, g);
      o.rls!.correct(W, nOut, z, g);
      let g2 = 0;
      for (let i = 0; i < N; i++) g2 += g[i] * g[i];
      weightChange[t] = Math.sqrt(e2 * g2);
      updates++;
    }
    for (let i = 0; i < N; i++) drive[i] = T[i] + taskCurrent[i];
    teacher.step(xTeacher, { dt: o.dt, scheme: 'exponential-euler', recurrent: false, current: drive });
    if (o.teacherForced) learner.step(xLearner, { dt: o.dt, scheme: o.scheme ?? 'euler', recurrent: false, current: drive });
    else learner.step(xLearner, { dt: o.dt, scheme: o.scheme ?? 'euler', input: u });
  }
  return { outputs, weightChange, updates };
}

/** 100 sum (z - f)^2 / sum f^2 (the full-FORCE demos' error, in percent), over all entries. */
export function normalizedError(outputs: ArrayLike<number>, target: ArrayLike<number>): number {
  if (outputs.length !== target.length) throw new ArgumentError('target', `${outputs.length} numbers (as many as outputs)`, target.length);
  checkFinite('outputs', outputs);
  checkFinite('target', target);
  let e = 0, f = 0;
  for (let i = 0; i < target.length; i++) { const d = outputs[i] - target[i]; e += d * d; f += target[i] * target[i]; }
  if (!(f > 0)) throw new ArgumentError('target', 'a target with nonzero power', f);
  return (100 * e) / f;
}
