/**
 * lib/dynamics: recurrent cells and tasks, training by backpropagation through
 * time, the fixed-point finder and the analysis of what it finds (Sussillo &
 * Barak 2013; Golub & Sussillo 2018; Maheswaranathan et al. 2019).
 *
 * Typical use:
 *   const net = RecurrentNetwork.create({ kind: 'gru', units: 32, inputSize: 3, outputSize: 3, seed: 1 });
 *   trainNetwork(net, { task: 'flipFlop', steps: 1500, batchSize: 64, trainingTrials: 512, stopLoss: 1e-4, seed: 2 });
 *   const finder = new FixedPointFinder(net.cell);            // or { step, stateSize, inputSize } of your own
 *   const x0 = finder.sampleStates(net.run(inputs).states, 1024, 0.5, 3);
 *   const { fixedPoints, notConverged } = finder.find(x0, [0, 0, 0]);
 *   console.log(fixedPoints.summary());                        // counts by unstable modes, q range
 *   const graph = topologyGraph(net.cell, fixedPoints);        // saddles -> fixed points along unstable modes
 * Populations (seeds x architectures) train and are analysed on the worker pool with `runStudies`.
 */
export {
  CELL_KINDS, GruCell, LstmCell, RecurrentCell, UgrnnCell, VanillaCell, cellFromJSON, createCell,
} from './cells';
export type { CellJSON, CellKind, CellOptions, DynamicalSystem } from './cells';
export { RecurrentNetwork } from './network';
export type { NetworkJSON, NetworkOptions } from './network';
export {
  TASK_NAMES, contextIntegration, decision, flipFlop, generateTask, integrator, sineWave, taskTensors,
} from './tasks';
export type { FlipFlopOptions, IntegratorOptions, SineWaveOptions, TaskBatch, TaskName } from './tasks';
export { AdaptiveGradNormClip, AdaptiveLearningRate, makeSchedule } from './schedules';
export type { LearningRateSchedule, RateController } from './schedules';
export { lossAndGradients, networkLoss, networkLossF64, trainNetwork } from './train';
export type { TrainOptions, TrainResult } from './train';
export { FixedPoints } from './fixed-points';
export type { FixedPointsData, PointEigen } from './fixed-points';
export { FixedPointFinder, decompose, float32QFloor, jacobiansByAutodiff } from './finder';
export type { FixedPointFinderOptions, FixedPointSearch, StepSystem } from './finder';
export { fixedPointFigureData, linearisedPrediction, pca, topologyGraph } from './analysis';
export type { FixedPointFigureData, Pca, TopologyEdge, TopologyGraph } from './analysis';
export { DYNAMICS_MODULE, findNetworkFixedPoints, runStudies, searchFixedPoints, studyJob } from './jobs';
export type { FixedPointJobOptions, FixedPointJobResult, StudyJobArgs, StudyJobResult } from './jobs';
export { fusedLossAndGradients } from './bptt';
