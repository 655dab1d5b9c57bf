/**
 * lib/core: the ground every module stands on -- argument validation, seeded
 * random numbers, backend selection, the native BLAS path, float64 linear
 * algebra, statistics over seeds, progress, run modes and results, the one
 * worker pool (on local processes, or on a Slurm cluster as job arrays:
 * `LDL_EXECUTOR=slurm` or `setExecutor('slurm', { partition, time })`), and
 * the interrupt flag long loops stop on.
 */
export { ArgumentError, FLOAT32_MAX, describe, checkInteger, checkNumber, checkPositive, checkOneOf, checkString, checkFinite, checkShape } from './validate';
export { Rng, rng } from './rng';
export { BACKEND_ORDER, initBackend, backendReport } from './backend';
export type { BackendName, BackendReport, BackendOptions } from './backend';
export { borrowedFloat32, tensorOutputFloat32, writableFloat32 } from './blas-backend';
export { setGemmImpl, gemmIsNative, gemm, gemmJs } from './gemm';
export type { FloatArray, GemmOptions, GemmImpl } from './gemm';
export { Matrix, toMatrix, cosine, choleskyInPlace, solveRows, symEig, SYM_EIG_NATIVE_MIN, eig, svd, lstsq } from './linalg';
export type { MatrixLike, SymEig, Eig, Svd } from './linalg';
export { orthonormalizeRows, qrWorkspace } from './qr';
export type { QrWorkspace } from './qr';
export { nnlsGram, nnls, signConstrainedGram, signConstrainedLstsq, quadraticProgram } from './convex';
export { convergenceReport, notConvergedMessage, warnIfNotConverged } from './convergence';
export type { ConvergenceReport } from './convergence';
export type { NnlsOptions, SolvedArray, ConstrainedSolution, QuadraticProgram, QuadraticProgramOptions, QuadraticProgramSolution } from './convex';
export { checkSparseRows, logisticDecision, logisticRegression } from './logistic';
export type { LogisticRegression, LogisticRegressionOptions, SparseRows } from './logistic';
export { NATIVE_ADDON_PATH, nativeAvailable, nativeLoadError, nativeAddon, blasInfo, setBlasThreads, blasThreads } from './native';
export type { NativeAddon } from './native';
export { sigmoid, tanh, rnnElementwiseJs, rnnElementwise, rnnElementwiseIsNative } from './rnn-elementwise';
export type { RnnElementwise } from './rnn-elementwise';
export { notebookDisplay, Progress, Budget } from './progress';
export type { ProgressOutput, ProgressOptions, BudgetOptions } from './progress';
export { runMode, projectRoot, resultsDir, writeResults, writeJsonFile, readJsonFile } from './results';
export type { RunMode, ResultsInput, ResultsRecord } from './results';
export { median, quantile, valueRange, summarize, formatMedianRange, passRate, blockStandardError } from './stats';
export type { Values, Summary, FormatOptions } from './stats';
export { InterruptedError, interruptRequested, throwIfInterrupted, requestInterrupt, clearInterrupt, lastInterruption, onInterrupt, listening, yieldToEventLoop, EventLoopYield, installInterruptHandler } from './interrupt';
export { JobFailedError, jobValues, POOL_WORKER_ENTRY, PROJECT_ROOT, WorkerPool, defaultPool, runJobs, closeDefaultPool, describeResults } from './pool';
export type { Job, JobContext, JobFunction, JobError, JobResult, PoolProgressReport, WorkerPoolOptions, RunOptions } from './pool';
export { setExecutor, executorSettings, slurmOptionsFromEnv } from './slurm';
export type { ExecutorName, ExecutorSettings, SlurmOptions } from './slurm';
