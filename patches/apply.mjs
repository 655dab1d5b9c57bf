#!/usr/bin/env node
/**
 * Applies patches/tslab-1.0.22.patch to node_modules/tslab (run by `node scripts/setup.mjs`, also with
 * --if-needed, so every `npm ci` is followed by it). The patch gives notebook cells Python's semantics
 * (names bound before a statement that throws stay nameable; `{ x }` finds an earlier cell's x) and type
 * errors that show their line and, for frequent mistakes, the fix, and source maps for stack traces in the
 * cell's and lib/'s lines: see environment.md.
 *
 * Design: the patch is a unified diff whose header lines `# sha256 <file> <original> <patched>` pin
 * both versions of each file. A file is patched only when its hash is the original's, and the result
 * must hash to the patched value; a file that already has the patched hash is left alone (so this is
 * idempotent); any other hash is refused with the file, both expected hashes, the one found and what
 * to do, and nothing is written. Plain Node with no dependencies: it runs right after `npm ci`.
 *
 *   node patches/apply.mjs           apply (or confirm) and say what it did
 *   node patches/apply.mjs --check   exit 1 unless every file is patched
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const patchFile = path.join(here, 'tslab-1.0.22.patch');
const patchName = `patches/${path.basename(patchFile)}`;
const TSLAB_VERSION = '1.0.22';

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** Parses the patch: pinned hashes and, per file, its hunks (old start line and body lines). */
export function parsePatch(text) {
  const files = new Map();
  for (const m of text.matchAll(/^# sha256 (\S+) ([0-9a-f]{64}) ([0-9a-f]{64})$/gm)) {
    files.set(m[1], { original: m[2], patched: m[3], hunks: [] });
  }
  let current = null;
  let hunk = null;
  for (const line of text.split('\n')) {
    const header = /^\+\+\+ b\/(\S+)/.exec(line);
    if (header) {
      current = files.get(header[1]);
      if (!current) throw new Error(`${patchFile}: ${header[1]} has hunks but no "# sha256" line`);
      hunk = null;
      continue;
    }
    const at = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (at && current) {
      hunk = { oldStart: Number(at[1]), newStart: Number(at[3]), lines: [], oldLeft: Number(at[2] ?? 1), newLeft: Number(at[4] ?? 1) };
      current.hunks.push(hunk);
      continue;
    }
    if (!hunk || (hunk.oldLeft === 0 && hunk.newLeft === 0)) continue;
    const l = line === '' ? ' ' : line; // an empty context line whose space an editor trimmed
    if (l[0] === '\\') continue; // "\ No newline at end of file"
    if (l[0] !== ' ' && l[0] !== '-' && l[0] !== '+') throw new Error(`${patchFile}: unexpected line in a hunk: ${JSON.stringify(line)}`);
    hunk.lines.push(l);
    if (l[0] !== '+') hunk.oldLeft--;
    if (l[0] !== '-') hunk.newLeft--;
  }
  return files;
}

/** Applies hunks to `text`, checking every context and removed line; throws where one differs. */
export function applyHunks(text, hunks, name) {
  const src = text.split('\n');
  const out = [];
  let next = 0; // index in src of the first line not yet copied
  for (const h of hunks) {
    const start = h.oldStart - 1;
    out.push(...src.slice(next, start));
    let i = start;
    for (const l of h.lines) {
      const body = l.slice(1);
      if (l[0] === '+') {
        out.push(body);
        continue;
      }
      if (src[i] !== body) throw new Error(`${name}: line ${i + 1} is ${JSON.stringify(src[i])}, the patch expects ${JSON.stringify(body)}`);
      if (l[0] === ' ') out.push(body);
      i++;
    }
    next = i;
  }
  out.push(...src.slice(next));
  return out.join('\n');
}

/**
 * Patches tslab under `root`/node_modules. Returns { patched: [...], already: [...] }; throws an Error
 * whose message says what to do when tslab is missing, of another version or has unexpected files.
 */
export function applyTslabPatch(root, { check = false } = {}) {
  const tslabDir = path.join(root, 'node_modules', 'tslab');
  const pkg = path.join(tslabDir, 'package.json');
  if (!existsSync(pkg)) throw new Error(`tslab is not installed in ${tslabDir}: run \`npm ci\` first.`);
  const version = JSON.parse(readFileSync(pkg, 'utf8')).version;
  if (version !== TSLAB_VERSION) {
    throw new Error(
      `node_modules/tslab is version ${version}, the patch ${patchName} is for ${TSLAB_VERSION}. ` +
        `Run \`npm ci\` to install the pinned version, or port the patch to ${version} (see environment.md, "The tslab patch").`,
    );
  }
  const files = parsePatch(readFileSync(patchFile, 'utf8'));
  const plan = [];
  for (const [name, f] of files) {
    const file = path.join(tslabDir, name);
    const text = readFileSync(file, 'utf8');
    const found = sha256(text);
    if (found === f.patched) plan.push({ name, file, already: true });
    else if (found === f.original && !check) plan.push({ name, file, text, f });
    else {
      throw new Error(
        found === f.original
          ? `node_modules/tslab/${name} is not patched yet: run \`node scripts/setup.mjs\`.`
          : `node_modules/tslab/${name} does not match the tslab ${TSLAB_VERSION} that ${patchName} was made for:\n` +
            `  expected sha256 ${f.original} (as published) or ${f.patched} (patched)\n` +
            `  found    sha256 ${found}\n` +
            `  Reinstall it as published with \`npm ci\` and run \`node scripts/setup.mjs\` again; if tslab was changed on ` +
            `purpose, port the patch (see environment.md, "The tslab patch"). Nothing was written.`,
      );
    }
  }
  // Every file checked before any is written, so a refusal leaves tslab as it was.
  for (const p of plan) {
    if (p.already) continue;
    const out = applyHunks(p.text, p.f.hunks, p.name);
    if (sha256(out) !== p.f.patched) throw new Error(`${p.name}: the patched file hashes to ${sha256(out)}, not ${p.f.patched}; the patch file is damaged.`);
    p.out = out;
  }
  for (const p of plan) {
    if (p.already) continue;
    writeFileSync(`${p.file}.ldl-tmp`, p.out);
    renameSync(`${p.file}.ldl-tmp`, p.file); // a kernel starting meanwhile reads either version, whole
  }
  return { patched: plan.filter((p) => !p.already).map((p) => p.name), already: plan.filter((p) => p.already).map((p) => p.name) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = path.resolve(here, '..');
  try {
    const r = applyTslabPatch(root, { check: process.argv.includes('--check') });
    if (r.patched.length) console.log(`[setup] tslab patched (${r.patched.join(', ')}): cells keep names bound before an error, { x } shorthand, type-error hints, stack traces in the cell's and lib/'s lines`);
    else if (!process.argv.includes('--quiet')) console.log(`[setup] tslab already patched (${r.already.join(', ')})`);
  } catch (e) {
    console.error(`[setup] tslab patch: ${e.message}`);
    process.exit(1);
  }
}
