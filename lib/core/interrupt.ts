/**
 * Interrupts that stop work, as Ctrl-C / Kernel > Interrupt do in Python: one
 * process-wide flag that long loops read and act on, stopping at a clean point
 * (after a finished step) with what they have done so far.
 *
 * Design. A SIGINT handler runs on the main event loop, so a synchronous loop
 * never lets it run. Two ways out were weighed: read the flag from shared
 * memory written by another thread, or yield to the event loop now and then.
 * Node delivers signals to the main thread's loop only (a worker thread gets
 * none), so no other thread could learn of the SIGINT to write the memory
 * without a native signal handler; yielding needs nothing. So:
 * - asynchronous work hears it: the trainer awaits a macrotask every ~100 ms
 *   (`EventLoopYield`), where the pending SIGINT handler runs and sets the
 *   flag, and sees it before its next step; a pool run only awaits its
 *   workers, so the handler runs at once and tells it (`onInterrupt`). Both
 *   count as *listening* work (`listening()`) while they run;
 * - synchronous loops (RNN training, fixed-point finder, Lanczos and friends, CNMF solvers,
 *   subspace training) check the flag every iteration. They stop on an
 *   interrupt requested from their own callbacks (a step function, an
 *   operator, onIteration), or one raised before they were called; a SIGINT
 *   that arrives while one of them runs is seen only when it returns (in
 *   tslab, while a cell's synchronous part runs, the kernel's vm
 *   `breakOnSigint` terminates it instead, as before);
 * - the pool's workers are separate processes with flags of their own: an
 *   interrupt of the parent kills those running its jobs (pool.ts).
 *
 * Who raises it: in the Jupyter kernel, scripts/tslab-kernel.cjs wraps tslab's
 * interrupt (tslab calls it from its SIGINT handler) to call `request()`, and
 * clears the flag when a cell starts; in a plain Node script,
 * `installInterruptHandler()`; anywhere, `requestInterrupt()`.
 *
 * The state lives on globalThis under a registered symbol so that every copy
 * of this module (tslab compiles the library itself; a test may load it twice)
 * and the kernel hook share one flag. That symbol and the state's `request()`
 * and `clear()` are the contract with the kernel hook.
 */

const STATE_KEY = Symbol.for('learning-dynamics-lab/interrupt');

interface InterruptState {
  requested: boolean;
  /** Asynchronous work running now that yields and so hears a SIGINT. */
  listening: number;
  listeners: Set<() => void>;
  last: InterruptedError | null;
  /** Sets the flag and tells listeners; true when listening work will stop by itself. */
  request(): boolean;
  clear(): void;
}

function state(): InterruptState {
  const g = globalThis as unknown as Record<symbol, InterruptState | undefined>;
  let s = g[STATE_KEY];
  if (!s) {
    const created: InterruptState = {
      requested: false,
      listening: 0,
      listeners: new Set(),
      last: null,
      request() {
        created.requested = true;
        for (const l of [...created.listeners]) {
          try {
            l();
          } catch (e) {
            console.error(`interrupt: a listener threw: ${(e as Error).message}`);
          }
        }
        return created.listening > 0;
      },
      clear() {
        created.requested = false;
      },
    };
    s = g[STATE_KEY] = created;
  }
  return s;
}

/**
 * Thrown by interrupted work. `what` names the work, `where` says where it
 * stopped (e.g. "in epoch 2 after batch 17 of 938"), `partial` holds what was
 * done (the trainer's partial history, a Lanczos run's first steps, the pool's
 * finished results). The latest one is kept: `lastInterruption()`.
 */
export class InterruptedError<P = unknown> extends Error {
  constructor(readonly what: string, readonly where: string, readonly partial: P) {
    super(`${what} was interrupted ${where}; what it had done is on this error's .partial (and lastInterruption().partial)`);
    this.name = 'InterruptedError';
    state().last = this as InterruptedError;
  }
}

/** Whether an interrupt was requested and not yet cleared. Cheap: read it every iteration. */
export function interruptRequested(): boolean {
  return state().requested;
}

/**
 * Throws an InterruptedError when an interrupt was requested. `where` and
 * `partial` are functions so nothing is built unless it throws.
 */
export function throwIfInterrupted<P>(what: string, where: () => string, partial: () => P): void {
  if (state().requested) throw new InterruptedError(what, where(), partial());
}

/**
 * Requests an interrupt: sets the flag (until `clearInterrupt()`) and tells
 * the `onInterrupt` listeners. Returns true when listening work (a training
 * run, a pool run) is running and will stop by itself.
 */
export function requestInterrupt(): boolean {
  return state().request();
}

/** Clears the flag (the kernel does it when a cell starts). */
export function clearInterrupt(): void {
  state().clear();
}

/** The latest InterruptedError thrown in this process, or null: a later cell reads the partial result here. */
export function lastInterruption(): InterruptedError | null {
  return state().last;
}

/** Calls `listener` on every interrupt request until the returned function is called. */
export function onInterrupt(listener: () => void): () => void {
  if (typeof listener !== 'function') throw new TypeError('onInterrupt: listener must be a function');
  const s = state();
  s.listeners.add(listener);
  return () => {
    s.listeners.delete(listener);
  };
}

/**
 * Marks asynchronous work that yields to the event loop (so hears a SIGINT)
 * as running until the returned function is called; the kernel lets such
 * work stop by itself rather than abandoning the cell at once.
 */
export function listening(): () => void {
  const s = state();
  s.listening++;
  let done = false;
  return () => {
    if (!done) s.listening--;
    done = true;
  };
}

/** Resolves after one turn of the event loop (a macrotask), so pending signal handlers and timers run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Paces the yields of a long asynchronous loop: `due()` returns a promise to
 * await once `intervalMs` passed since the last yield, else null, so the
 * loop pays a clock read per step and a macrotask per interval.
 */
export class EventLoopYield {
  private last = performance.now();
  constructor(readonly intervalMs = 100) {}

  due(): Promise<void> | null {
    const now = performance.now();
    if (now - this.last < this.intervalMs) return null;
    return yieldToEventLoop().then(() => {
      this.last = performance.now();
    });
  }
}

/**
 * For a plain Node script: the first SIGINT (Ctrl-C) while listening work
 * runs requests an interrupt, so the work stops at its next step and its
 * InterruptedError reports what was done; a SIGINT with no such work, or a
 * second one, ends the process as Node's default does. Returns a function
 * that removes the handler. (The Jupyter kernel does not need this: see the
 * file header.)
 */
export function installInterruptHandler(): () => void {
  const s = state();
  const handler = (): void => {
    if (s.requested || s.listening === 0) {
      process.off('SIGINT', handler);
      process.kill(process.pid, 'SIGINT');
      return;
    }
    s.request();
  };
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGINT', handler);
  };
}
