/**
 * One convergence report for every iterative estimator and solver (Lanczos
 * and eigenpairs, power iteration, SLQ, Hutchinson, the fixed-point search,
 * the CNMF and NNLS solvers): how many iterations ran, the value of the
 * stopping test at the end, the tolerance it was held to and whether it met
 * it. `residual <= tolerance` is what `converged` means, except where an
 * estimator says otherwise in its `measure` (e.g. an exact breakdown).
 * Modelled on what SciPy's iterative solvers return (`info`,
 * `ArpackNoConvergence`) and tensortools' fit status.
 */

export interface ConvergenceReport {
  /** Iterations run (Lanczos steps, power iterations, probes, solver sweeps; each estimator says which). */
  iterations: number;
  /** The stopping test's value at the end: a residual norm or a change, in the units of `tolerance`. */
  residual: number;
  /** The value `residual` had to reach. */
  tolerance: number;
  converged: boolean;
  /** What `residual` measures, in words (e.g. "max_i ||A v_i - lambda_i v_i|| / max|theta|, Lanczos estimate"). */
  measure: string;
}

/** A report; `converged` is `residual <= tolerance` unless given. */
export function convergenceReport(iterations: number, residual: number, tolerance: number, measure: string, converged?: boolean): ConvergenceReport {
  return { iterations, residual, tolerance, converged: converged ?? residual <= tolerance, measure };
}

/** The warning text for an unconverged report (what `warnIfNotConverged` prints). */
export function notConvergedMessage(label: string, r: ConvergenceReport, hint = ''): string {
  return `${label}: not converged after ${r.iterations} iterations: ${r.measure} = ${r.residual.toExponential(2)} > tolerance ${r.tolerance.toExponential(2)}${hint ? `; ${hint}` : ''}`;
}

/**
 * Prints one console warning (the project's warning channel, as in lib/rules'
 * trainer and lib/core's pool) when `r` did not converge; returns whether it did.
 */
export function warnIfNotConverged(label: string, r: ConvergenceReport, hint = ''): boolean {
  if (!r.converged) console.warn(notConvergedMessage(label, r, hint));
  return r.converged;
}
