/**
 * lib/data: typed loaders for the data sets the studies use -- MNIST,
 * Fashion-MNIST, IMDB reviews -- and a MAT v5 reader for MATLAB files such as
 * the songbird recordings. data/README.md lists every source, where it is
 * looked for and how to get it.
 */
export { DataNotFoundError, DataFormatError } from './errors';
export { parseIdx, readIdx, clearIdxCache, idxCacheSize } from './idx';
export type { IdxArray } from './idx';
export {
  loadMnist, loadFashionMnist, oneHot, MNIST_CLASS_NAMES, FASHION_MNIST_CLASS_NAMES, PIXEL_STATISTICS, FASHION_MNIST_SYSTEM_DIR,
} from './images';
export type { ImageDataset, ImageLoadOptions, Normalization, Normalize, Split } from './images';
export { batchIndices, takeImages, imageBatches, toTensors } from './batches';
export type { BatchOptions, ImageBatch, TensorOptions, ImageTensors } from './batches';
export {
  loadImdb, loadImdbReviews, takeSequences, tokenize, buildVocabulary, encode, decode, imdbSplitIndices, PAD_ID, UNKNOWN_ID, PAD_TOKEN, UNKNOWN_TOKEN,
} from './imdb';
export type { ImdbDataset, ImdbLoadOptions, ImdbReview, Vocabulary, SequenceBatch } from './imdb';
export { readMat, parseMat, MatArray, MatFile } from './mat';
export type { MatClassName, ReadMatOptions } from './mat';
export { loadSongbird, findSongbirdMat, songbirdCandidates } from './songbird';
export type { SongbirdData } from './songbird';
