/**
 * lib/data: typed loaders for the data sets the studies use -- MNIST,
 * Fashion-MNIST, IMDB reviews -- and a MAT v5 reader for MATLAB files such as
 * the songbird recordings; the labelled-data types every module accepts
 * (`DataInput`: a loader's `ImageDataset`, an `ArrayDataset` of flat rows, or
 * a `TensorDataset`) with their conversions (datasets.ts); and minibatch
 * batching, the one way every epoch loop shuffles (batches.ts).
 * data/README.md lists every source, where it is looked for and how to get it.
 */
export { DataNotFoundError, DataFormatError } from './errors';
export { parseIdx, readIdx, clearIdxCache, idxCacheSize } from './idx';
export type { IdxArray } from './idx';
export {
  loadMnist, loadFashionMnist, oneHot, MNIST_CLASS_NAMES, FASHION_MNIST_CLASS_NAMES, PIXEL_STATISTICS, FASHION_MNIST_SYSTEM_DIR,
} from './images';
export type { ImageDataset, ImageLoadOptions, Normalization, Normalize, Split } from './images';
export { isTensorDataset, toArrayDataset, toTensorDataset, disposeConverted, targetsOf, labelsOf } from './datasets';
export type { ArrayDataset, TensorDataset, DataInput, NetworkShape } from './datasets';
export { batchIndices, batchesPerEpoch, epochBatches, takeImages, takeTensors, imageBatches, tensorBatches, toTensors } from './batches';
export type { BatchOptions, EpochBatchOptions, IndexBatch, TensorBatch, ImageBatch, TensorOptions, ImageTensors } from './batches';
export {
  loadImdb, loadImdbReviews, imdbBagOfWords, takeSequences, tokenize, buildVocabulary, encode, decode, imdbSplitIndices, PAD_ID, UNKNOWN_ID, PAD_TOKEN, UNKNOWN_TOKEN,
} from './imdb';
export type { ImdbBagOfWords, ImdbDataset, ImdbLoadOptions, ImdbReview, Vocabulary, SequenceBatch } from './imdb';
export { readMat, parseMat, MatArray, MatFile } from './mat';
export type { MatClassName, ReadMatOptions } from './mat';
export { loadSongbird, findSongbirdMat, songbirdCandidates } from './songbird';
export type { SongbirdData } from './songbird';
