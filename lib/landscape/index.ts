/**
 * lib/landscape: local geometry of loss landscapes.
 *
 * - Exact curvature-vector products for the networks of lib/rules (every
 *   layer kind it builds: dense, conv2d, locally connected, max/avg pool,
 *   flatten, activations, batch norm with batch or running statistics,
 *   residual blocks, patch embedding, layer norm, GELU, attention, token
 *   mean, Gaussian noise taken as the identity; softmax cross-entropy, MSE
 *   or Poisson loss): Hessian `H v`, Gauss-Newton `G v` and `(H - G) v` by
 *   Pearlmutter's R-operator, over a fixed batch or a whole data set
 *   (batch-size-weighted chunks). Never by nesting tf.grad over the network.
 *   The equations are at the top of products.ts; another layer kind is
 *   refused by name. Dense chains take a fused native product; others the
 *   tensor path (`Curvature.path` says which and why).
 * - Estimators on any symmetric `LinearOperator` ({ dim, apply(v) }):
 *   Lanczos with full reorthogonalisation (float64 recurrence, restart on
 *   breakdown), top/bottom eigenpairs with residual norms (the Lanczos run is
 *   extended until the requested pairs meet a residual tolerance or a step
 *   limit, with one warning when it stops short), deflated power iteration,
 *   SLQ spectral density (Gaussian width reported), Hutchinson Tr(A) and
 *   Tr(A^2) with standard errors. Each returns a lib/core `ConvergenceReport`
 *   (`convergence`: iterations, residual, tolerance, converged).
 * - Probes: gradient overlap with the top-k subspace (beside k/D), subspace
 *   persistence, logit-gradient cosines by class, the Hessian restricted to a
 *   random subspace, training in a random affine subspace and d_int90,
 *   curvature versus initialisation radius, projected SGD.
 * Every function that takes data accepts what lib/data's loaders return, flat
 * `ArrayDataset`s, or tensors {x, y} (lib/data `DataInput`); training loops
 * draw their minibatches through lib/data batching. The notebook's study
 * runs live in lib/studies/loss-landscape-geometry.ts.
 *
 * ```ts
 * const net = new Network(mlp({ hidden: [200, 200], activation: 'tanh' }));
 * const data = loadMnist({ limit: 1024 });   // or tensors { x: [N, 784], y: labels [N] or one-hot [N, 10] }
 * const curvature = new Curvature(net, data, { batchSize: 1024 });
 * const top = eigenpairs(curvature.operator('hessian'), 10);   // values, vectors, residuals
 * const { gradient } = curvature.lossAndGradient();
 * gradientOverlap(gradient, top.vectors);      // { squared, baselineSquared: 10 / D, ... }
 * spectralDensity(curvature.operator('gauss-newton'), { runs: 10, steps: 90 });
 * hutchinson(curvature.operator('hessian'), { samples: 100 });
 * curvature.dispose();
 * ```
 *
 * Parameter vectors are flat float64 in the order of Network.parameterPairs:
 * the parametric layers in pre-order (residual bodies in place), each weight
 * (its tfjs shape, row-major) then bias, then batch norm's and layer norm's
 * scale and shift (Network.extraParameters). The probes' own training loops
 * (trainInSubspace, projectedSgd) move the parameters only: batch norm's
 * running statistics, which `accuracy` uses, stay where they were.
 * A `Curvature` caches the forward state (layer inputs, gradients, f', f''
 * g) while the weights are unchanged -- any `assign` to a weight rebuilds
 * it -- so the products of one Krylov run cost one R pass each.
 */
export {
  checkOperator, applyChecked, dot, norm, rademacher, lanczos, tridiagonalEig, eigenpairs, powerIteration, spectralDensity, smoothedDensity,
  hutchinson, denseOperator, diagonalOperator, materialize,
} from './spectrum';
export type {
  LinearOperator, LanczosOptions, LanczosResult, EigenpairOptions, Eigenpairs, PowerIterationOptions, DensityOptions, SpectralDensity,
  TraceOptions, Estimate, TraceEstimates,
} from './spectrum';
export {
  parameterCount, flattenParameters, unflattenParameters, setParameters, Curvature, lossAndGradient, curvatureProduct, hessianVectorProduct,
  gaussNewtonVectorProduct, curvatureOperator, logitGradients,
} from './products';
export type { CurvatureLayer, CurvatureNetwork, CurvatureLoss, CurvatureKind, ProductOptions, CurvatureOperator } from './products';
export {
  gradientOverlap, subspacePersistence, logitGradientCosines, RandomSubspace, restrictedHessian, accuracy, trainInSubspace, intrinsicDimension,
  curvatureAtRadius, projectedSgd,
} from './probes';
export type {
  GradientOverlap, LogitGradientCosines, RestrictedHessian, SgdOptions, SubspaceTrainingResult, IntrinsicDimension, RadiusPoint,
  ProjectedSgdOptions, ProjectedSgdResult,
} from './probes';
