#!/usr/bin/env node
// A one-node Slurm cluster on this machine, for the pool's Slurm executor
// (lib/core/slurm.ts): its tests and trying it out.
//
//   node scripts/slurm-cluster.mjs start [--dir DIR] [--cpus N] [--max-array-size N]
//                                                                 prints `export SLURM_CONF=DIR/slurm.conf`
//   node scripts/slurm-cluster.mjs stop  [--dir DIR]
//   node scripts/slurm-cluster.mjs status [--dir DIR]                the daemons' PIDs (null: not running)
//   node scripts/slurm-cluster.mjs check                            why this machine cannot run it (exit 3), or ok
//
// It starts munged (as the munge user, with its own key and socket), then
// slurmctld and slurmd (as root) from Debian's slurm-wlm 22.05 and munge
// (`npm run setup -- --slurm` installs them), with a generated slurm.conf and
// every piece of state -- key, socket, spool, state save, logs, pid files --
// under DIR (default /tmp/ldl-slurm). No systemd and no file outside DIR is
// touched, so it coexists with a system munge/Slurm; its ports are chosen free
// at start. `stop` cancels the cluster's jobs and ends the daemons by the PIDs
// in their pid files. The configuration is the one tested on this kind of
// machine (../shared/references/platform.md): proctrack/linuxproc, task/none,
// cons_tres over cores, no accounting storage and no cgroups -- so memory
// limits are not enforced and OUT_OF_MEMORY never appears here.
//
// Clients (sbatch, squeue, scancel, the pool's executor) find the cluster
// through SLURM_CONF=DIR/slurm.conf, which also names the munge socket.
// Needs root (slurmd starts jobs as their user; munged is started as munge).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const DEFAULT_DIR = path.join(os.tmpdir(), 'ldl-slurm');

function fail(message) {
  console.error(`slurm-cluster: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const out = { command: argv[0], dir: DEFAULT_DIR, cpus: os.availableParallelism(), maxArraySize: 1001 };
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--dir') out.dir = path.resolve(argv[++i] ?? fail('--dir needs a folder'));
    else if (argv[i] === '--cpus') {
      out.cpus = Number(argv[++i]);
      if (!Number.isInteger(out.cpus) || out.cpus < 1) fail(`--cpus: expected a positive integer, got ${argv[i]}`);
    } else if (argv[i] === '--max-array-size') {
      out.maxArraySize = Number(argv[++i]);
      if (!Number.isInteger(out.maxArraySize) || out.maxArraySize < 1) fail(`--max-array-size: expected a positive integer, got ${argv[i]}`);
    } else fail(`unknown argument ${argv[i]}`);
  }
  return out;
}

function which(name) {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** Why this machine cannot run the cluster, or null. The tests skip with this text. */
export function unavailableReason() {
  const missing = ['munged', 'munge', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'scontrol', 'sinfo'].filter((b) => !which(b));
  if (missing.length) return `Slurm/munge not installed (missing ${missing.join(', ')}): npm run setup -- --slurm (Debian packages slurm-wlm and munge)`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'starting slurmd and munged needs root';
  const r = spawnSync('id', ['-u', 'munge'], { encoding: 'utf8' });
  if (r.status !== 0) return 'no munge user (the munge package creates it)';
  return null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  return r;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function readPid(file) {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function paths(dir) {
  return {
    conf: path.join(dir, 'slurm.conf'),
    munge: path.join(dir, 'munge'),
    socket: path.join(dir, 'munge', 'munge.socket'),
    mungePid: path.join(dir, 'munge', 'munged.pid'),
    ctldPid: path.join(dir, 'slurmctld.pid'),
    slurmdPid: path.join(dir, 'slurmd.pid'),
  };
}

function clientEnv(dir) {
  return { ...process.env, SLURM_CONF: paths(dir).conf };
}

/** Memory in MB to declare for the node: what the machine has, less 1 GB for the system. */
function nodeMemoryMb() {
  return Math.max(512, Math.floor(os.totalmem() / 2 ** 20) - 1024);
}

async function waitFor(what, test, ms, logFile) {
  const end = Date.now() + ms;
  for (;;) {
    if (await test()) return;
    if (Date.now() > end) {
      let tail = '';
      try {
        tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
      } catch {
        // no log yet
      }
      throw new Error(`${what} did not happen within ${ms / 1000} s${tail ? `; end of ${logFile}:\n${tail}` : ''}`);
    }
    await sleep(200);
  }
}

export async function start(dir, cpus, maxArraySize = 1001) {
  const reason = unavailableReason();
  if (reason) throw new Error(reason);
  const p = paths(dir);
  if ([p.mungePid, p.ctldPid, p.slurmdPid].some((f) => { const pid = readPid(f); return pid !== null && alive(pid); })) {
    throw new Error(`a cluster is already running in ${dir} (stop it first: node scripts/slurm-cluster.mjs stop --dir ${dir})`);
  }
  fs.mkdirSync(dir, { recursive: true });
  // munged runs as munge and refuses directories others may write to; it must be able to reach its folder.
  fs.chmodSync(dir, 0o755);
  fs.rmSync(p.munge, { recursive: true, force: true });
  fs.mkdirSync(p.munge);
  // Clients reach the socket through this folder: munged wants it searchable by all, writable by munge only.
  fs.chmodSync(p.munge, 0o711);
  const key = path.join(p.munge, 'munge.key');
  fs.writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  run('chown', ['-R', 'munge:munge', p.munge]);
  const mungeLog = path.join(p.munge, 'munged.log');
  const m = run('runuser', ['-u', 'munge', '--', which('munged'), `--socket=${p.socket}`, `--key-file=${key}`,
    `--pid-file=${p.mungePid}`, `--log-file=${mungeLog}`, `--seed-file=${path.join(p.munge, 'munged.seed')}`]);
  if (m.status !== 0) throw new Error(`munged did not start: ${m.stderr.trim()}`);
  await waitFor('munged answering', () => {
    const enc = run('munge', ['-n', '-S', p.socket]);
    if (enc.status !== 0) return false;
    return /STATUS:\s+Success/.test(run('unmunge', ['-S', p.socket], { input: enc.stdout }).stdout);
  }, 10000, mungeLog);

  const host = os.hostname().split('.')[0];
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  for (const sub of ['state', 'spool']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const conf = [
    '# Generated by scripts/slurm-cluster.mjs: a one-node cluster, all state under this folder.',
    'ClusterName=ldl',
    `SlurmctldHost=${host}`,
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${p.socket}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'MpiDefault=none',
    'ReturnToService=2',
    // Declared CPUs may exceed the cores (--cpus): slurmd then keeps the declared count.
    'SlurmdParameters=config_overrides',
    // A job over its limit is killed 2 s after its SIGTERM (default 30 s); finished jobs stay known to scontrol 5 min.
    'KillWait=2',
    'MinJobAge=300',
    `MaxArraySize=${maxArraySize}`,
    `StateSaveLocation=${path.join(dir, 'state')}`,
    `SlurmdSpoolDir=${path.join(dir, 'spool')}`,
    `SlurmctldPidFile=${p.ctldPid}`,
    `SlurmdPidFile=${p.slurmdPid}`,
    `SlurmctldLogFile=${path.join(dir, 'slurmctld.log')}`,
    `SlurmdLogFile=${path.join(dir, 'slurmd.log')}`,
    `NodeName=${host} CPUs=${cpus} RealMemory=${nodeMemoryMb()} State=UNKNOWN`,
    `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n');
  fs.writeFileSync(p.conf, conf);
  const env = clientEnv(dir);
  // -i: ignore state saved by an earlier cluster in this folder.
  let r = run(which('slurmctld'), ['-f', p.conf, '-i'], { env });
  if (r.status !== 0) throw new Error(`slurmctld did not start: ${r.stderr.trim()}`);
  r = run(which('slurmd'), ['-f', p.conf], { env });
  if (r.status !== 0) throw new Error(`slurmd did not start: ${r.stderr.trim()}`);
  await waitFor('the node becoming idle', () => {
    const s = run('sinfo', ['-h', '-N', '-o', '%t'], { env });
    return s.status === 0 && s.stdout.trim() === 'idle';
  }, 30000, path.join(dir, 'slurmctld.log'));
  return { conf: p.conf, host, cpus };
}

export async function stop(dir) {
  const p = paths(dir);
  const env = clientEnv(dir);
  const ctld = readPid(p.ctldPid);
  if (ctld !== null && alive(ctld) && fs.existsSync(p.conf)) {
    // Jobs outlive slurmd (their slurmstepd is its own process): cancel them first, and wait for them to end.
    run('scancel', ['--full', '--user', os.userInfo().username], { env });
    const end = Date.now() + 10000;
    while (Date.now() < end) {
      const q = run('squeue', ['-h', '-o', '%i'], { env });
      if (q.status !== 0 || q.stdout.trim() === '') break;
      await sleep(200);
    }
  }
  const stopped = [];
  for (const [name, file] of [['slurmd', p.slurmdPid], ['slurmctld', p.ctldPid], ['munged', p.mungePid]]) {
    const pid = readPid(file);
    if (pid === null || !alive(pid)) continue;
    process.kill(pid, 'SIGTERM');
    const end = Date.now() + 5000;
    while (alive(pid) && Date.now() < end) await sleep(50);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    stopped.push(`${name} (${pid})`);
  }
  return stopped;
}

export function status(dir) {
  const p = paths(dir);
  return Object.fromEntries([['munged', p.mungePid], ['slurmctld', p.ctldPid], ['slurmd', p.slurmdPid]].map(([name, file]) => {
    const pid = readPid(file);
    return [name, pid !== null && alive(pid) ? pid : null];
  }));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.command === 'start') {
    try {
      const c = await start(args.dir, args.cpus, args.maxArraySize);
      console.error(`slurm-cluster: node ${c.host} with ${c.cpus} CPUs is idle; state in ${args.dir}`);
      console.log(`export SLURM_CONF=${c.conf}`);
    } catch (e) {
      await stop(args.dir).catch(() => undefined);
      fail(e.message);
    }
  } else if (args.command === 'stop') {
    const stopped = await stop(args.dir);
    console.error(`slurm-cluster: ${stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing was running'}`);
  } else if (args.command === 'check') {
    // Exit 0 when this machine can run the cluster; else the reason, exit 3 (the tests skip with it).
    const reason = unavailableReason();
    console.log(reason ?? 'ok');
    process.exitCode = reason ? 3 : 0;
  } else if (args.command === 'status') {
    console.log(JSON.stringify(status(args.dir)));
  } else {
    fail('usage: node scripts/slurm-cluster.mjs start|stop|status|check [--dir DIR] [--cpus N] [--max-array-size N]');
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) await main();
