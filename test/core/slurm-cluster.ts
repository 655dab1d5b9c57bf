/**
 * The one-node Slurm cluster of the Slurm executor's tests: started from
 * scripts/slurm-cluster.mjs in a temporary folder before the tests, stopped
 * (by the daemons' PIDs) after them -- node:test runs `after` also when a
 * test fails. `slurmSkipReason` says why a machine cannot run it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/core';

const SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'slurm-cluster.mjs');

/** Why the cluster cannot start here (Slurm not installed, not root), or undefined. */
export function slurmSkipReason(): string | undefined {
  const r = spawnSync(process.execPath, [SCRIPT, 'check'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : (r.stdout.trim() || r.stderr.trim() || 'scripts/slurm-cluster.mjs check failed');
}

export interface TestCluster {
  dir: string;
  conf: string;
  /** The daemons' PIDs as the pid files give them. */
  pids(): Record<string, number | null>;
  stop(): void;
}

function cluster(args: string[]): string {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`slurm-cluster ${args[0]} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Starts a cluster with `cpus` CPU slots (and arrays of at most `maxArraySize` tasks) in a new temporary folder and points this process's Slurm clients at it. */
export function startTestCluster(cpus: number, maxArraySize = 1001): TestCluster {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldl-slurm-test-'));
  try {
    cluster(['start', '--dir', dir, '--cpus', String(cpus), '--max-array-size', String(maxArraySize)]);
  } catch (e) {
    cluster(['stop', '--dir', dir]);
    throw e;
  }
  const conf = path.join(dir, 'slurm.conf');
  process.env.SLURM_CONF = conf;
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', stop);
    process.removeListener('SIGTERM', onTerm);
    cluster(['stop', '--dir', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // A suite that never reaches its `after` (killed by a timeout, an exit from inside a test) stops them too.
  const onTerm = (): void => {
    stop();
    process.exit(143);
  };
  process.once('exit', stop);
  process.once('SIGTERM', onTerm);
  return {
    dir,
    conf,
    pids: () => JSON.parse(cluster(['status', '--dir', dir])) as Record<string, number | null>,
    stop,
  };
}
