#!/usr/bin/env node
// Git clean filter for notebooks/*.ipynb (.gitattributes: filter=ldl-strip-outputs;
// scripts/setup.mjs configures it in the checkout's .git/config). Reads a
// notebook on stdin and writes it on stdout with what running it adds taken
// away: every code cell's outputs become [] and its execution_count null, and
// the metadata that execution or the UI's output view adds (cell `execution`
// timings, `ExecuteTime`, `scrolled`; the notebook's `widgets` state) goes.
// The working copy keeps its outputs; only what git stores is stripped.
//
// Never loses a file: a notebook with nothing to strip is written back
// byte-for-byte (so committed notebooks and `git status` are untouched), and
// input that is not a notebook's JSON passes through unchanged with a one-line
// warning on stderr; the exit status is always 0. Stripped notebooks are
// written as Jupyter writes them (keys in the input's order, which Jupyter
// sorts; indent 1; a final newline), non-ASCII escaped as \uXXXX only when the
// input was pure ASCII (a file saved with escapes keeps them).
// Plain JavaScript with no imports beyond node: git runs it in clones that
// may not have node_modules.
import { Buffer } from 'node:buffer';

const CELL_RUN_METADATA = ['execution', 'ExecuteTime', 'scrolled'];
const NOTEBOOK_RUN_METADATA = ['widgets'];

/** Removes what execution adds; returns true when anything was removed. */
function strip(nb) {
  let changed = false;
  const drop = (obj, keys) => {
    if (obj === null || typeof obj !== 'object') return;
    for (const k of keys) {
      if (Object.hasOwn(obj, k)) {
        delete obj[k];
        changed = true;
      }
    }
  };
  drop(nb.metadata, NOTEBOOK_RUN_METADATA);
  for (const cell of nb.cells) {
    if (cell === null || typeof cell !== 'object') continue;
    drop(cell.metadata, CELL_RUN_METADATA);
    if (cell.cell_type !== 'code') continue;
    if (!Array.isArray(cell.outputs) || cell.outputs.length > 0) {
      cell.outputs = [];
      changed = true;
    }
    if (cell.execution_count !== null) {
      cell.execution_count = null;
      changed = true;
    }
  }
  return changed;
}

function serialize(nb, asciiOnly) {
  let text = JSON.stringify(nb, null, 1);
  if (asciiOnly) text = text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${text}\n`;
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = Buffer.concat(chunks);
let output = input;
const text = input.toString('utf8');
let nb;
try {
  nb = JSON.parse(text);
} catch (err) {
  process.stderr.write(`strip-notebook-outputs: not valid JSON (${err.message.replace(/\s+/g, ' ')}); stored unchanged\n`);
}
if (nb !== undefined) {
  if (nb === null || typeof nb !== 'object' || !Array.isArray(nb.cells)) {
    process.stderr.write('strip-notebook-outputs: JSON without a cells list, not a notebook; stored unchanged\n');
  } else if (strip(nb)) {
    output = Buffer.from(serialize(nb, !/[^\x00-\x7f]/.test(text)), 'utf8');
  }
}
process.stdout.write(output);
