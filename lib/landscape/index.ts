/**
 * lib/landscape: local geometry of loss landscapes. Exact Hessian and
 * Gauss-Newton vector products (Pearlmutter's R-operator), spectral
 * estimators on any linear operator (Lanczos, SLQ density, Hutchinson),
 * and the probes of Fort & Ganguli 2019, Gur-Ari et al. 2018 and Li et
 * al. 2018 (gradient subspaces, random-subspace training).
 */
export * from './spectrum';
export * from './products';
export * from './probes';
export * from './study';
