/**
 * lib/rules: networks with explicit forward and backward passes whose error
 * signals travel through pluggable feedback pathways; optimisers; a trainer
 * with alignment metrics; ready-made LeNet and MLP models; pool jobs.
 *
 * Equations and settings: ../../shared/references/training-rules.md (in the
 * project's shared references). Every rule changes only the signal a
 * parametric layer sends to its input; every layer then updates
 * W by its optimiser from dL/dW = x^T delta (conv: the filter gradient).
 *
 * ## Quick use
 * ```ts
 * await initBackend();
 * console.table(listRules());                                         // every rule: family, one-line description, defaults
 * const net = new Network(lenet({ rule: 'usf', seed: 1 }));          // BioTorch's LeNet, 32x32 inputs
 * const test = loadMnist({ split: 'test', pad: 2, normalize: 'standard' });
 * const history = await train(net, loadMnist({ pad: 2, normalize: 'standard' }), {
 *   epochs: 2, batchSize: 64, test, seed: 0,
 *   optimizer: { type: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-3,
 *                schedule: { type: 'step', milestones: [50, 75], gamma: 0.1 } } });
 * historyToDataFrame(history);                                        // danfojs DataFrame
 * net.save('out/lenet-usf.json');
 * // many configurations at once, on the worker pool:
 * const results = await runConfigurations(seeds.map((seed) => ({ network: lenet({ rule: 'fa', seed }),
 *   data: { dataset: 'mnist', pad: 2 }, train: { epochs: 2, seed } })));
 * ```
 *
 * ## Contract of a layer (what later modules may rely on)
 * - Examples are rows: a batch has shape [N, ...inputShape]. `inputShape`
 *   and `outputShape` are per example. Extra leading per-example axes are
 *   allowed for vector-valued units: a dense layer maps [N, K, in] to
 *   [N, K, out] with ONE weight matrix shared by the K components (GEVB);
 *   its kernel gradient sums over N and K.
 * - `forward(x)` is pure. `Network.forward(x)` returns a `Trace` whose
 *   `inputs[i]` is the input of layer i; for an `Activation` layer that
 *   input is the pre-activation a, and `derivative(a)` / `secondDerivative(a)`
 *   give f'(a) and f''(a). Everything an R-operator (Hessian-vector) pass
 *   needs is thus in the trace: each parametric layer's input x, each
 *   pre-activation a, f' and f''.
 * - `jvp(input, output, dx, {weight, bias})` is the forward-mode derivative
 *   of every layer: dense/conv `dx W + x V_W + V_b` (conv: conv2d), activation
 *   `f'(a) dx`, pooling and flatten their linear maps (max pool: non-
 *   overlapping windows only). An R-operator forward pass is a loop of jvp
 *   calls over the trace.
 * - A parametric layer (`ParamLayer`: Dense, Conv2d, LocallyConnected2d) exposes three linear
 *   maps: `linear(x, K)` (x K; conv2d(x, K)), `inputAdjoint(dy, K)` (dy K^T;
 *   conv2dTranspose(dy, K)) and `kernelGradient(x, dy)` (x^T dy; the filter
 *   gradient). Backward passes, feedback kernels and alignment losses use
 *   only these, so every rule works for dense and conv layers alike.
 *   Weights are `tf.Variable`s: dense W [in, out], conv K [kh, kw, cin, cout],
 *   locally connected (kind 'locally-connected': unshared kernels) [OH OW, kh kw cin, cout].
 *   `fanIn`/`fanOut` follow torch (conv: times the kernel area).
 * - Optional hooks (layers.ts `Layer`): a layer may hold a `body` of layers
 *   (a residual block, residual.ts: y = body(x) + S(x), S a parameter-free
 *   shortcut); the network walks into it (sequence.ts), its parametric
 *   layers get pathways (pre-order numbering), and the skip path's S^T dy
 *   reaches the input exactly whatever the rule. A layer may have
 *   `parameters()` outside the feedback contract (batch norm's gamma and
 *   beta, batch-norm.ts), trained by their exact gradient
 *   (`Gradients.extra`, `Network.extraParameters`), and a train/eval mode
 *   (`setTraining`: a traced forward pass uses batch statistics, `predict`
 *   the running ones, `trainStep` updates them). Batch norm's backward is
 *   exact under every rule (it has no pathway), as in the sign-symmetry
 *   papers. Networks with either train on the reference path (fused.ts
 *   names the layer it does not cover).
 * - Vision transformers (transformer.ts, `vit` in models.ts): tokens are an
 *   extra per-example axis ([N, T, d]; dense layers share their kernel over
 *   tokens); the patch embedding is a parametric layer (kind 'dense', its
 *   bias the position embedding); layer norm's gain and shift are
 *   parameters outside the feedback contract; GELU, the attention core
 *   (on a qkv projection) and the mean over tokens are parameter-free; a
 *   pre-norm block is two residual layers whose dense maps (qkv, output
 *   projection, MLP) each have a pathway. `attentionRanks(spec, r)` gives
 *   LDFA rank 3r at the qkv layers, r elsewhere (the authors' ViT).
 * - The network's last layer is dense or conv and outputs logits; the loss
 *   (softmax cross-entropy or MSE, or the Poisson likelihood of rates
 *   softplus(z), poisson.ts) gives the output error e = dL/dz (batch mean).
 *
 * ## Contract of a feedback pathway (`FeedbackPathway`, pathway.ts)
 * - One pathway per parametric layer (`net.pathways[k]` for
 *   `net.paramLayers[k]`). `propagate({dy, input, outputError})` returns the
 *   signal sent to the layer's input in place of `dy W^T`. Direct pathways
 *   (DFA) ignore dy and project `outputError`.
 * - Feedback kernels are stored in W's shape and used in W's place
 *   (dx = inputAdjoint(dy, B)); the papers' B (shape of W^T) is its transpose,
 *   so angle(B, W^T) is the angle between the stored B and W.
 * - A pathway may own trainable parameters (`trainables()`), updated in
 *   `learn(ctx)` by the pathway's own `Optimizer` with its own settings;
 *   `learn` runs after the backward pass and before W moves, and receives
 *   the layer's input, its delta, the rule's weight gradient, the output
 *   error e, the batch's targets (LDFA's Oja rule learns the label subspace
 *   from them), the layer's index among parametric layers, the network
 *   optimiser's settings and the epoch. The training loop never changes
 *   for a new rule.
 * - `beginBatch()` runs before each training batch (brSF redraws there).
 * - `feedbackKernel()` returns the current effective B in W's shape (null
 *   when there is none, DFA); `state()`/`setState()` save and restore it.
 * - `Pathway` (defaults: nothing to learn, no state) and `KernelPathway`
 *   (one matrix B in W's place) are base classes a new rule may extend.
 *
 * ## Rules: the registry (registry.ts)
 * A rule is a `RuleDefinition`: a one-line description, its default
 * options and a factory `create(layer, { outputSize, rng, options,
 * paramIndex, paramCount })` returning the layer's pathway (options: the
 * user's `feedback` over the defaults). Rule families live in their own
 * files, each exporting its definitions:
 *   random-feedback.ts  bp, fa, dfa
 *   sign-symmetric.ts   usf, frsf, brsf
 *   kolen-pollack.ts    kolen-pollack
 *   kunin.ts            weight-mirror, information-alignment,
 *                       symmetric-alignment, activation-alignment
 *                       (Kunin et al. 2020: each rule one list of loss
 *                       terms; loss and gradient of each term side by side)
 *   low-rank.ts         ldfa (layered), dldfa (direct): B = Q P of rank r,
 *                       `feedback: { rank, ldfaRule: 'fixed' | 'fixed-p' |
 *                       'raf' | 'normative' | 'local' }`
 *                       (the first layer's pathway stays dormant, without P
 *                       and Q, while nothing is sent below it)
 * and registry.ts lists the families in one table, from which `RuleName`,
 * each rule's option type (`RuleOptions`, and `RuleSetting`, the
 * discriminated union `{ rule, feedback }` that `lenet`, `mlp` and
 * `Network.setRule` take), RULES (the full-rank rules, pinned by the
 * regression fixture), LOW_RANK_FEEDBACK_RULES, ALL_RULES and `listRules()`
 * derive. Adding a rule is one file (its pathway class, options and
 * definition) and one line in that table; `registerRule(name, definition)`
 * adds one at run time (a notebook, a test: name it with a cast,
 * `rule: 'mine' as RuleName`; it exists in that process only). A name is
 * registered once (a second registration throws), and an unknown name
 * throws an ArgumentError listing the registered ones. A new rule, e.g. FA
 * with its B scaled (test/rules/registry.test.ts trains this one):
 * ```ts
 * // scaled-feedback.ts
 * export interface ScaledOptions { scale?: number }
 * class ScaledPathway extends KernelPathway {                 // B in W's place: dx = inputAdjoint(dy, B)
 *   readonly rule = 'scaled-fa';
 *   constructor(layer: ParamLayer, ctx: PathwayContext<ScaledOptions>) {
 *     super(layer, tf.tidy(() => xavierUniform(layer.weight.shape, layer.fanIn, layer.fanOut, ctx.rng).mul(ctx.options.scale!)), false);
 *   }
 * }
 * export const scaledFeedbackRules: Record<'scaled-fa', RuleDefinition<ScaledOptions>> = {
 *   'scaled-fa': { family: 'scaled-feedback', description: 'FA with B scaled by a constant', defaults: { scale: 1 },
 *                  create: (layer, ctx) => new ScaledPathway(layer, ctx) },
 * };
 * // registry.ts, BUILT_IN_RULES:  ...scaledFeedbackRules, // scaled-fa
 * ```
 * Vectorized networks (K-vector units, one kernel shared by the K
 * components, nonnegative ON/OFF layers, tReLU gates) and the GEVB rule
 * (Clark, Abbott & Chung 2021) are in vectorized.ts: `VectorizedNetwork`
 * takes 'gevb' or a registered rule (bp, fa, dfa) through the same pathway
 * contract; the locally connected layer (unshared kernels) is in
 * locally-connected.ts.
 * Alignment metrics (angleBetween, principalAngles, ...) are in
 * alignment.ts, `errorSubspaceAngles` in subspace-angles.ts; the linear
 * theory of LDFA (simulation and SVD-basis integration, float64) is in
 * linear-theory.ts; gated linear networks (fixed input gates, float64 GD on
 * the logistic loss) and their max-margin limits in gated-linear.ts. Conventions chosen where the papers leave room are in
 * each family's header (DFA injects at the input of each parametric layer,
 * i.e. after the pooling below it; Kunin losses are batch means).
 */
export {
  Activation,
  ACTIVATIONS,
  AvgPool,
  Conv2d,
  Dense,
  Flatten,
  isParamLayer,
  MaxPool,
  xavierUniform,
} from './layers';
export { layerFromSpec } from './layer-table';
export { BatchNorm } from './batch-norm';
export { Residual } from './residual';
export { GaussianNoise } from './noise';
export { foldTime } from './time-fold';
export type { FoldedMovie } from './time-fold';
export type { ActivationName, Layer, LayerKind, LayerSpec, ParamLayer, ParamTangent } from './layers';
export {
  ALL_RULES,
  createPathway,
  listRules,
  LOW_RANK_FEEDBACK_RULES,
  registerRule,
  ruleDefinition,
  RULES,
} from './registry';
export type { FeedbackOptions, RuleInfo, RuleName, RuleOptions, RuleSetting } from './registry';
export { KernelPathway, Pathway } from './pathway';
export type { FeedbackPathway, LearnContext, NoOptions, PathwayContext, PropagateContext, RuleDefinition } from './pathway';
export { angleBetween, orthonormalBasis, principalAngles, rowCovariance, topEigenvectors } from './alignment';
export { errorSubspaceAngles } from './subspace-angles';
export type { KolenPollackOptions } from './kolen-pollack';
export type { AlignmentLossOptions } from './kunin';
export { LOW_RANK_RULES, LowRankPathway, ojaSubspaceGradient, rankOfLayer, truncatedSvdFactors } from './low-rank';
export type { LowRankOptions, LowRankRule, RankSetting } from './low-rank';
export { integrateSvdBasis, LINEAR_THEORY_RULES, simulateLinearTheory } from './linear-theory';
export type { LinearTheoryOptions, LinearTheoryRecord, LinearTheoryResult, LinearTheoryRule } from './linear-theory';
export {
  gateContexts, gatedLinearNetwork, glnLossAndGradients, glnMaxMargin, glnMaxMarginOutputs, glnNorm, glnOutputs, maxMarginDual, medianGates, randomGates, reluGates, reluLossAndGradients, reluNetwork,
  reluReadoutMaxMargin, trainGln, trainRelu,
} from './gated-linear';
export type { GatedLinearNetwork, Gates, GlnMaxMargin, GlnNorm, MaxMarginSolution, ReluNetwork } from './gated-linear';
export { copiedOptimizerOptions, learningRateAt, Optimizer, resolveOptimizerOptions } from './optim';
export type { OptimizerOptions, ResolvedOptimizerOptions, Schedule } from './optim';
export { Network } from './network';
export { poissonLossAndError, softplus } from './poisson';
export { INTEGRATION_RULES, integratedGradients, quadratureNodes } from './attribution';
export type { IntegratedGradientsOptions, IntegratedGradientsResult, IntegrationRule } from './attribution';
export type { Gradients, LayerAlignment, LossName, NetworkOptions, StepOptions, Trace } from './network';
export { DivergenceError, evaluate, historyToDataFrame, runConfigurations, runTrainingJob, train } from './trainer';
export type { EpochRecord, History, JobData, TrainingJob, TrainingJobResult, TrainOptions } from './trainer';
export { attentionRanks, lenet, mlp, plainConvNet, resnet, transformerBlock, vgg, vggBatchNorm, vit } from './models';
export type { ModelOptions, VitOptions } from './models';
export { Attention, Gelu, LayerNorm, PatchEmbedding, TokenMean } from './transformer';
export { epochsToAccuracy, epochsToFraction, trainingFlops } from './flops';
export type { FlopsOptions, LayerFlops, TrainingFlops } from './flops';
export { LocallyConnected2d, patchKernel } from './locally-connected';
export type { LocallyConnectedSpec } from './locally-connected';
export {
  compareWithBackprop, evaluateClassifier, fcVec, Gate, gevbRules, spatialVec, trainClassifier, VecParamLayer, VectorizedNetwork,
} from './vectorized';
export type {
  BackpropComparison, Classifier, ClassifierData, ClassifierEpoch, SignConstraint, VecGradients, VecLayer, VecLayerSpec, VecModelOptions, VecTrace,
  VectorizedNetworkOptions, VectorizedRule,
} from './vectorized';
