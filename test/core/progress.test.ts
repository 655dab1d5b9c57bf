import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Budget, Progress, notebookDisplay } from '../../lib/core';

test('outside a kernel there is no notebook display, and asking for one is a named error', () => {
  assert.equal(notebookDisplay(), null);
  const prev = process.env.LDL_PROGRESS;
  delete process.env.LDL_PROGRESS; // npm test silences progress, which would mask the check
  try {
    assert.throws(() => new Progress({ output: 'notebook' }), /output: expected "notebook" only inside a running tslab kernel/);
  } finally {
    if (prev !== undefined) process.env.LDL_PROGRESS = prev;
  }
});

test('the status line reports fraction, counts and status text', () => {
  const p = new Progress({ total: 8, label: 'train', output: 'silent' });
  p.update(2, 'loss 0.5');
  assert.match(p.line(), /^train: \[######\.{18}\]  25% 2\/8 .*loss 0\.5$/);
  p.tick(6);
  assert.match(p.line(), /100% 8\/8/);
});

test('log output writes lines, rate-limited, and a final line', () => {
  const lines: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  (process.stderr as unknown as { write: (s: string) => boolean }).write = (s: string) => { lines.push(s); return true; };
  try {
    const prev = process.env.LDL_PROGRESS; delete process.env.LDL_PROGRESS;
    const p = new Progress({ total: 1000, output: 'log', intervalMs: 1e9 });
    for (let i = 0; i < 1000; i++) p.update(i + 1);
    p.finish('done');
    if (prev !== undefined) process.env.LDL_PROGRESS = prev;
  } finally {
    (process.stderr as unknown as { write: typeof orig }).write = orig;
  }
  assert.equal(lines.length, 2, 'one line at the first update, one at finish');
  assert.match(lines[1], /1000\/1000 .* done/);
});

test('Budget stops on iterations or time, whichever first', async () => {
  const b = new Budget({ maxIterations: 3 });
  assert.equal(b.exhausted(2), null);
  assert.equal(b.exhausted(3), 'iterations');
  const t = new Budget({ timeLimitMs: 20 });
  assert.equal(t.exhausted(0), null);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(t.exhausted(0), 'time');
  assert.throws(() => new Budget({ maxIterations: -1 }), /maxIterations: expected an integer >= 0, got -1/);
});
