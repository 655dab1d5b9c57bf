/**
 * lib/core: the ground every module stands on -- backend selection, seeded
 * random numbers, float64 linear algebra, progress, argument validation, the
 * native BLAS path and the one worker pool.
 */
export * from './validate';
export * from './rng';
export * from './backend';
export * from './gemm';
export * from './linalg';
export * from './native';
export * from './rnn-elementwise';
export * from './progress';
export * from './results';
export * from './pool';
