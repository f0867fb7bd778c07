/**
 * Adds `info.episode = {r, l, t}` (return, length in agent steps, seconds) at the
 * step that ends an episode, as Gymnasium's RecordEpisodeStatistics.
 */
import type { Env, ResetOptions, ResetResult, StepResult } from '../core.ts';
import { Wrapper } from './wrapper.ts';

export interface EpisodeRecord {
  r: number;
  l: number;
  t: number;
}

export class EpisodeStatistics<Obs, Act> extends Wrapper<Obs, Act> {
  private episodeReturn = 0;
  private episodeLength = 0;
  private startTime = performance.now();

  constructor(env: Env<Obs, Act>) {
    super(env);
  }

  async reset(options?: ResetOptions): Promise<ResetResult<Obs>> {
    this.episodeReturn = 0;
    this.episodeLength = 0;
    this.startTime = performance.now();
    return this.env.reset(options);
  }

  async step(action: Act): Promise<StepResult<Obs>> {
    const result = await this.env.step(action);
    this.episodeReturn += result.reward;
    this.episodeLength++;
    if (!result.terminated && !result.truncated) return result;
    const episode: EpisodeRecord = {
      r: this.episodeReturn,
      l: this.episodeLength,
      t: (performance.now() - this.startTime) / 1000,
    };
    return { ...result, info: { ...result.info, episode } };
  }
}
