/**
 * lib/dynamics: recurrent cells and tasks, training by backpropagation through
 * time, the fixed-point finder and the analysis of what it finds (Sussillo &
 * Barak 2013; Golub & Sussillo 2018; Maheswaranathan et al. 2019).
 *
 * The cell table (cells/table.ts): a kind name -> one file whose class owns the
 * cell's step (tfjs and float64), closed-form Jacobians, fused fixed-point
 * kernel and BPTT step. An unknown kind throws, naming the known ones.
 *
 *   kind       file              F(h, x)
 *   vanilla    cells/vanilla.ts  tanh(h Wh + x Wx + b)
 *   gru        cells/gru.ts      z * h + (1 - z) * tanh(x Wx_c + (r * h) Whc + b_c)
 *   lstm       cells/lstm.ts     state [c, h]: c' = sig(f + gateBias) c + sig(i) tanh(g), h' = sig(o) tanh(c')
 *   ugrnn      cells/ugrnn.ts    u * h + (1 - u) * tanh(x Wx_c + h Wh_c + b_c)
 *
 * Typical use:
 *   const net = RecurrentNetwork.create({ kind: 'gru', units: 32, inputSize: 3, outputSize: 3, seed: 1 });
 *   trainNetwork(net, { task: 'flipFlop', steps: 1500, batchSize: 64, trainingTrials: 512, stopLoss: 1e-4, seed: 2 });
 *   const [search] = findNetworkFixedPoints(net, { task: 'flipFlop', seed: 3 });   // states of its own trials + noise
 *   console.log(search.fixedPoints.summary());                 // stable / marginal / unstable, counts by unstable modes, q range
 *   const graph = topologyGraph(net.cell, search.fixedPoints); // saddles -> fixed points along unstable modes
 *   new FixedPointFinder({ step, stateSize, inputSize }).find(x0, u);   // any step function of your own
 *   const d = topologyDistance(fixedPointGraph(fpA, graphA), fixedPointGraph(fpB, graphB)); // 0: same topology
 * Populations (architecture x nonlinearity x seed) run as pool jobs through runPopulation (population.ts),
 * each member's result saved so that an interrupted run resumes; the studies' jobs are in lib/studies.
 */
export { CELL_KINDS, CELL_TABLE, cellDefinition, cellFromJSON, createCell } from './cells/table';
export type { CellKind } from './cells/table';
export { RecurrentCell } from './cells/cell';
export type { CellDefinition, CellJSON, CellOptions, Jacobians } from './cells/cell';
export { VanillaCell } from './cells/vanilla';
export { GruCell } from './cells/gru';
export { LstmCell } from './cells/lstm';
export { UgrnnCell } from './cells/ugrnn';
export type { DynamicalSystem, QGradKernel } from './system';
export { RecurrentNetwork, SEQUENCE_PAD_ID, SequenceClassifier } from './network';
export type { NetworkJSON, RecurrentNetworkOptions, SequenceClassifierJSON, SequenceClassifierOptions } from './network';
export {
  TASK_NAMES, contextIntegration, decision, flipFlop, generateTask, integrator, sineWave, taskTensors,
} from './tasks';
export type { FlipFlopOptions, IntegratorOptions, SineWaveOptions, TaskBatch, TaskName } from './tasks';
export { AdaptiveGradNormClip, AdaptiveLearningRate, makeSchedule } from './schedules';
export type { LearningRateSchedule, RateController } from './schedules';
export { evaluateSequenceClassifier, lossAndGradients, networkLoss, networkLossF64, trainNetwork, trainSequenceClassifier } from './train';
export type { RecurrentTrainOptions, RecurrentTrainResult, SequenceDataset, SequenceTrainOptions, SequenceTrainResult } from './train';
export { fusedLossAndGradients, sequenceLogits, sequenceLossAndGradients, sequenceLossF64, sequenceStates } from './bptt';
export type { TokenBatch } from './bptt';
export { FixedPoints, MARGINAL_TOLERANCE } from './fixed-points';
export type { FixedPointsData, PointEigen, StabilityClass } from './fixed-points';
export { FixedPointFinder, decompose, float32QFloor, jacobiansByAutodiff } from './finder';
export type { FixedPointFinderOptions, FixedPointSearch, StateArray, StepSystem } from './finder';
export { findNetworkFixedPoints, trajectoryStates } from './network-fixed-points';
export type { NetworkFixedPointOptions } from './network-fixed-points';
export { fixedPointFigureData, heldInputFate, lineAttractorStatistics, linearisedPrediction, topologyGraph } from './analysis';
export type { FixedPointFigureData, HeldInputFate, LineAttractorStatistics, TopologyEdge, TopologyGraph } from './analysis';
export { fixedPointGraph, topologyDistance, topologyDistanceJob, topologyDistanceMatrix, weisfeilerLehmanFeatures } from './topology';
export type { FixedPointGraph } from './topology';
export { NONLINEARITIES, memberFile, memberKey, populationJob, populationMembers, runPopulation, settingsHash } from './population';
export type { Nonlinearity, PopulationJobArgs, PopulationMember, PopulationResult } from './population';
export { randomOrthogonal, selfExcitingUnits } from './hand-built';
export type { SelfExcitingUnits } from './hand-built';
export {
  entropyRate, kaplanYorkeDimension, largestExponentByTwoTrajectories, lyapunovSpectrum, tangentSystemFromMap, trajectory,
} from './lyapunov';
export type { LyapunovOptions, LyapunovSpectrum, TangentSystem, Trajectory, TrajectoryOptions, TwoTrajectoryEstimate, TwoTrajectoryOptions } from './lyapunov';
