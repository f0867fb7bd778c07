/**
 * Env steps and agent updates resolve as microtasks only, and a loop of them
 * never lets Node's event loop run: a Ctrl-C handler (or any timer) would wait
 * until the whole run ended. Long loops call the function this returns once per
 * step; at most every `everyMs` it yields one turn of the event loop
 * (setImmediate: the poll phase, where signals arrive, runs first).
 */
export function eventLoopTurns(everyMs = 50): () => Promise<void> {
  let last = performance.now();
  return async () => {
    const now = performance.now();
    if (now - last < everyMs) return;
    last = now;
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
}
