/**
 * lib/dynamics: recurrent cells and tasks, training by backpropagation through
 * time, the fixed-point finder and the analysis of what it finds (Sussillo &
 * Barak 2013; Golub & Sussillo 2018; Maheswaranathan et al. 2019).
 */
export { CELL_KINDS, CELL_TABLE, cellDefinition, cellFromJSON, createCell } from './cells/table';
export type { CellKind } from './cells/table';
export { RecurrentCell } from './cells/cell';
export type { CellDefinition, CellJSON, CellOptions } from './cells/cell';
export { VanillaCell } from './cells/vanilla';
export { GruCell } from './cells/gru';
export { LstmCell } from './cells/lstm';
export { UgrnnCell } from './cells/ugrnn';
export type { DynamicalSystem, QGradKernel } from './system';
export { RecurrentNetwork } from './network';
export type { NetworkJSON, RecurrentNetworkOptions } from './network';
export {
  TASK_NAMES, contextIntegration, decision, flipFlop, generateTask, integrator, sineWave, taskTensors,
} from './tasks';
export type { FlipFlopOptions, IntegratorOptions, SineWaveOptions, TaskBatch, TaskName } from './tasks';
export { AdaptiveGradNormClip, AdaptiveLearningRate, makeSchedule } from './schedules';
export type { LearningRateSchedule, RateController } from './schedules';
export { lossAndGradients, networkLoss, networkLossF64, trainNetwork } from './train';
export type { RecurrentTrainOptions, RecurrentTrainResult } from './train';
export { fusedLossAndGradients } from './bptt';
export { FixedPoints } from './fixed-points';
export type { FixedPointsData, PointEigen } from './fixed-points';
export { FixedPointFinder, decompose, float32QFloor, jacobiansByAutodiff } from './finder';
export type { FixedPointFinderOptions, FixedPointSearch, StepSystem } from './finder';
export { fixedPointFigureData, linearisedPrediction, pca, topologyGraph } from './analysis';
export type { FixedPointFigureData, Pca, TopologyEdge, TopologyGraph } from './analysis';
export { DYNAMICS_MODULE, findNetworkFixedPoints, runStudies, searchFixedPoints, studyJob } from './jobs';
export type { FixedPointJobOptions, FixedPointJobResult, StudyJobArgs, StudyJobResult } from './jobs';
