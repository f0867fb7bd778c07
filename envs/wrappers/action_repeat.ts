/**
 * Repeats each action `repeat` times and sums the rewards (RAD/CURL's action
 * repeat, dm_control's "frame skip"). Stops early when an episode ends. Only the
 * last observation is returned, so a pixel wrapper outside renders once per
 * agent step, not once per env step.
 */
import type { Env, StepResult } from '../core.ts';
import { Wrapper } from './wrapper.ts';

/** RAD's and CURL's action repeat per DeepMind Control domain (RAD Table 3; CURL Table 2). */
export const DMC_ACTION_REPEAT: Record<string, number> = {
  cartpole: 8,
  finger: 2,
  walker: 2,
  cheetah: 4,
  reacher: 4,
  ball_in_cup: 4,
  point_mass: 4,
  pendulum: 4,
};

export class ActionRepeat<Obs, Act> extends Wrapper<Obs, Act> {
  constructor(
    env: Env<Obs, Act>,
    readonly repeat: number,
  ) {
    super(env);
    if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`ActionRepeat: repeat must be a positive integer, got ${repeat}`);
  }

  async step(action: Act): Promise<StepResult<Obs>> {
    let reward = 0;
    let result!: StepResult<Obs>;
    let steps = 0;
    for (; steps < this.repeat; steps++) {
      result = await this.env.step(action);
      reward += result.reward;
      if (result.terminated || result.truncated) {
        steps++;
        break;
      }
    }
    return { ...result, reward, info: { ...result.info, env_steps: steps } };
  }
}
