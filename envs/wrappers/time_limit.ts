/** Truncates an episode after `maxSteps` steps (Gymnasium's TimeLimit). */
import type { Env, ResetOptions, ResetResult, StepResult } from '../core.ts';
import { Wrapper } from './wrapper.ts';

export class TimeLimit<Obs, Act> extends Wrapper<Obs, Act> {
  private elapsed = 0;

  constructor(
    env: Env<Obs, Act>,
    readonly maxSteps: number,
  ) {
    super(env);
    if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new Error(`TimeLimit: maxSteps must be a positive integer, got ${maxSteps}`);
  }

  async reset(options?: ResetOptions): Promise<ResetResult<Obs>> {
    this.elapsed = 0;
    return this.env.reset(options);
  }

  async step(action: Act): Promise<StepResult<Obs>> {
    const result = await this.env.step(action);
    this.elapsed++;
    if (this.elapsed >= this.maxSteps && !result.terminated) return { ...result, truncated: true };
    return result;
  }
}
