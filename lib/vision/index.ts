/**
 * lib/vision: natural images and the receptive fields of convolutional
 * networks trained on them -- the measurements of the retinal-bottleneck study
 * (Lindsey, Ocko, Ganguli & Deny, ICLR 2019, arXiv 1901.00945).
 *
 *   PHOTO_SOURCES, loadPhotographs   23 photographs from Debian's mate-backgrounds and python3-skimage,
 *                                    grayscale (BT.601 luminance), block-mean downsampled, optionally cached
 *                                    in a folder across processes (images.ts); checkImage validates a GrayImage
 *   decodeImage, downsample          JPEG (jpeg-js) / PNG (pngjs) by magic bytes; a missing file is a
 *                                    DataNotFoundError, an undecodable one a DataFormatError, both naming the path
 *   samplePatches                    square patches from a horizontal band of each image, labelled by image
 *                                    (disjoint bands: a held-out split) (patches.ts)
 *   pixelStatistics, standardize     (x - mean) / std
 *   whitenImage                      Fourier whitening |k| exp(-(|k|/k0)^4) (Olshausen & Field 1996)
 *   radialPowerSpectrum, spectralSlope   ring-averaged power and its log-log slope (-2 natural, 0 white)
 *   networkUnit                      one channel at one position of a lib/rules Network layer (receptive-fields.ts)
 *   gradientReceptiveField           mean gradient over the blank image and random Gaussian baselines
 *   networkUnits                     every channel at one position: images to [N, C]
 *   spikeTriggeredAverage(s)         response-weighted mean of white Gaussian images (several units at once)
 *   orientedness                     coherence of the gradient structure tensor
 *                                    (0 isotropic, -> 1 oriented) (measures.ts)
 *   barOrientedness                  the authors' measure: covariance with a bank of bars, 1 - orthogonal / preferred
 *   ridgeLinearity                   held-out variance explained by ridge regression (float64, Cholesky)
 *   linearSeparability               held-out accuracy of one-vs-rest logistic regression
 *   heldOutSplit                     the seeded split both use
 *   differenceOfGaussians, gabor     planted fields (filters.ts)
 *   whiteNoiseMovie, naturalMovie,   seeded stimulus movies (contrast, ~10 ms frames): white noise, jittered
 *   flashTrain, movingBar,           windows on the photographs, flash trains with an omission, moving and
 *   contrastSteps, checkMovie,       reversing bars, stepped-contrast noise; concatMovies joins movies,
 *   concatMovies, movieChunks        movieChunks plays them lazily in fixed-size chunks, chunksWithHistory
 *   chunksWithHistory,               with the frames before each; whiteNoiseParts / naturalMovieParts make
 *   whiteNoiseParts,                 those movies in parts (stimuli.ts)
 *   naturalMovieParts
 *   simulateRetina,                  a simulated retina with a known circuit: ON/OFF x fast/slow biphasic
 *   defaultRetinaCircuit,            bipolar subunits, rectification, depression (adaptation), wide-field
 *   biphasicFilter                   amacrine inhibition, ganglion cells with Poisson spikes; returns the
 *                                    interneurons' signals too (simulated-retina.ts, issue 29)
 *   RetinaStream                     the same retina fed chunk by chunk, its state carried (a movie too long to hold)
 *   fitLnModel, predictLn            an LN model (STA filter, binned nonlinearity) to measure how far the
 *   varianceExplained, pearson,      retina is from one; R^2 and correlation of response traces
 *   cellColumn, StreamingPearson     (the latter accumulated pair by pair, float64)
 *   fitLnModels, LnFitter, lnRates   the same fitted and run on a movie played in chunks (several cells at once)
 *
 * Conventions: images are row-major Float32Array pixels; batches for networks
 * are NHWC [N, H, W, 1]; fields are row-major [H, W, C] Float64Array.
 * Measures run in float64 on the CPU; network passes go through tfjs (the
 * project's BLAS backend).
 *
 * Layering: vision imports core, data, meanfield (its radix-2 FFT) and, for
 * types only, rules.
 *
 *   const photos = loadPhotographs();                              // 23 GrayImage, short side >= 256
 *   const train = samplePatches(photos, { size: 32, perImage: 200, band: [0, 0.8], seed: 1 });
 *   const rf = gradientReceptiveField(networkUnit(net, 3, 0), [32, 32, 1], { count: 64 });
 *   orientedness(rf.field, 32, 32);                                // ~0 centre-surround, ~1 oriented
 */
export { checkImage, decodeImage, downsample, loadPhotographs, PHOTO_SOURCES } from './images';
export type { GrayImage, LoadPhotographsOptions, PhotoSource } from './images';
export { pixelStatistics, radialPowerSpectrum, samplePatches, spectralSlope, standardize, whitenImage } from './patches';
export type { PatchOptions, WhitenOptions } from './patches';
export { gradientReceptiveField, networkUnit, networkUnits, spikeTriggeredAverage, spikeTriggeredAverages } from './receptive-fields';
export type { ReceptiveField, ReceptiveFieldOptions, UnitFunction } from './receptive-fields';
export { barOrientedness, heldOutSplit, linearSeparability, orientedness, ridgeLinearity } from './measures';
export type { BarOrientedness, BarOrientednessOptions, RidgeFit, RidgeOptions, SeparabilityOptions } from './measures';
export { differenceOfGaussians, gabor } from './filters';
export type { GaborOptions } from './filters';
export { checkMovie, chunksWithHistory, concatMovies, contrastSteps, flashTrain, movieChunks, movingBar, naturalMovie, naturalMovieParts, whiteNoiseMovie, whiteNoiseParts } from './stimuli';
export type {
  BarMovie, ChunkWithHistory, ContrastStepMovie, ContrastStepOptions, FlashTrain, FlashTrainOptions, Movie, MovieSize, MovingBarOptions, NaturalMovie, NaturalMovieOptions,
  WhiteNoiseOptions,
} from './stimuli';
export {
  biphasicFilter, cellColumn, defaultRetinaCircuit, FAST_FILTER, fitLnModel, fitLnModels, lnRates, LnFitter, pearson, predictLn, RetinaStream, simulateRetina, SLOW_FILTER, StreamingPearson, varianceExplained,
} from './simulated-retina';
export type { AmacrineSpec, BipolarType, GanglionSpec, LnModel, RetinaCircuit, RetinaResponse, SimulateOptions, TemporalFilter } from './simulated-retina';
