import { describe, expect, it } from 'vitest';
import { eventLoopTurns } from '../../common/event_loop.ts';

/** A loop of awaits that resolve as microtasks only (as env steps and updates do), for `ms`. */
async function microtaskLoop(ms: number, turn?: () => Promise<void>): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    await Promise.resolve();
    if (turn) await turn();
  }
}

describe('eventLoopTurns', () => {
  it('lets a timer (like a Ctrl-C handler) run inside a loop of microtasks, which alone would starve it', async () => {
    let firedAt = Infinity;
    const start = performance.now();
    setTimeout(() => (firedAt = performance.now() - start), 5);
    await microtaskLoop(300);
    // Without turns the timer runs only after the loop.
    expect(firedAt).toBe(Infinity);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(firedAt).toBeGreaterThanOrEqual(300);

    let firedInside = false;
    setTimeout(() => (firedInside = true), 5);
    const turn = eventLoopTurns(20);
    await microtaskLoop(300, turn);
    expect(firedInside).toBe(true);
  });
});
