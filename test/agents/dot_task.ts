/**
 * A tiny pixel task for the learning test: a white dot on a black 16x16 RGB
 * image at horizontal position x in [-1, 1]; the action (in [-1, 1]) moves it by
 * 0.25 a; the reward is 1 - |x| per step, so the agent must steer the dot to the
 * centre and keep it there. Episodes last 10 steps (truncated, not terminated).
 * Staying where it starts earns about 5 per episode on average; steering to the
 * centre earns about 9.
 */
import type { NdArray } from '../../common/ndarray.ts';
import type { Random } from '../../common/random.ts';

export const dotSide = 16;
export const dotEpisodeLength = 10;

export class DotTask {
  private x = 0;
  private steps = 0;

  reset(rng: Random, start?: number): NdArray<'uint8'> {
    this.x = start ?? rng.uniform(-1, 1);
    this.steps = 0;
    return this.render();
  }

  step(action: number): { obs: NdArray<'uint8'>; reward: number; truncated: boolean } {
    this.x = Math.min(1, Math.max(-1, this.x + 0.25 * Math.min(1, Math.max(-1, action))));
    this.steps += 1;
    return { obs: this.render(), reward: 1 - Math.abs(this.x), truncated: this.steps >= dotEpisodeLength };
  }

  private render(): NdArray<'uint8'> {
    const data = new Uint8Array(dotSide * dotSide * 3);
    // A 3x3 dot; its left column spans pixels 1..12 as x spans [-1, 1].
    const left = 1 + Math.round(((this.x + 1) / 2) * (dotSide - 5));
    for (let row = 6; row < 9; row++) {
      for (let column = left; column < left + 3; column++) data.fill(255, (row * dotSide + column) * 3, (row * dotSide + column) * 3 + 3);
    }
    return { dtype: 'uint8', shape: [dotSide, dotSide, 3], data };
  }
}
