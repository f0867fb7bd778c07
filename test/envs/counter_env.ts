import { ndarray, type NdArray } from '../../common/ndarray.ts';
import { Box, Discrete, type Env, type ResetResult, type StepResult } from '../../envs/core.ts';

/** A counter env: the state is the step count; each frame is filled with it; reward 1 per step; ends at `length`. */
export class CounterEnv implements Env<NdArray, number> {
  observationSpace = new Box(0, 255, [2, 2, 3], 'uint8');
  actionSpace = new Discrete(2);
  metadata = {};
  count = 0;
  closed = false;
  constructor(readonly length = 100) {}
  private obs(): NdArray {
    return ndarray('uint8', [2, 2, 3], new Uint8Array(12).fill(this.count));
  }
  async reset(): Promise<ResetResult<NdArray>> {
    this.count = 0;
    return { obs: this.obs(), info: {} };
  }
  async step(action: number): Promise<StepResult<NdArray>> {
    this.count++;
    return { obs: this.obs(), reward: 1 + action, terminated: this.count >= this.length, truncated: false, info: {} };
  }
  async render(): Promise<NdArray<'uint8'>> {
    return this.obs() as NdArray<'uint8'>;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
