/**
 * Process-tree helpers for the scripts that start Jupyter. jupyter_client
 * starts kernels in a new session, so killing a server's process group leaves
 * the tslab kernel behind; walking /proc by parent id finds it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Ids of every live descendant of `pid` (Linux /proc; empty elsewhere). */
export function descendants(pid) {
  const children = new Map();
  let entries = [];
  try {
    entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const d of entries) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command, which may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {
      /* the process ended while we looked */
    }
  }
  const out = [];
  const stack = [pid];
  while (stack.length) {
    for (const c of children.get(stack.pop()) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

/** Sends `signal` to `pid` and all its descendants (children first found, then all at once). */
export function killTree(pid, signal = 'SIGTERM') {
  const all = [...descendants(pid), pid];
  for (const p of all) {
    try {
      process.kill(p, signal);
    } catch {
      /* already gone */
    }
  }
  return all;
}

/** Terminates a tree politely (SIGINT lets Jupyter shut its kernels down), then by force after `graceMs`. */
export async function stopTree(pid, graceMs = 5000) {
  const all = [...descendants(pid), pid];
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    /* gone */
  }
  const deadline = Date.now() + graceMs;
  const alive = (p) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (Date.now() < deadline && all.some(alive)) await new Promise((r) => setTimeout(r, 100));
  for (const p of all.filter(alive)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
