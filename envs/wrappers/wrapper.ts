/**
 * The base of every wrapper: forwards everything to the wrapped env, so a
 * wrapper overrides only what it changes (as Gymnasium's `Wrapper`).
 */
import type { NdArray } from '../../common/ndarray.ts';
import type { Env, EnvMetadata, ResetOptions, ResetResult, Space, StepResult } from '../core.ts';

export class Wrapper<Obs = unknown, Act = unknown, InnerObs = Obs, InnerAct = Act> implements Env<Obs, Act> {
  constructor(readonly env: Env<InnerObs, InnerAct>) {}

  get observationSpace(): Space {
    return this.env.observationSpace;
  }

  get actionSpace(): Space {
    return this.env.actionSpace;
  }

  get metadata(): EnvMetadata {
    return this.env.metadata;
  }

  /** The innermost env, past every wrapper. */
  get unwrapped(): Env {
    let env: Env = this.env as Env;
    while (env instanceof Wrapper) env = env.env as Env;
    return env;
  }

  reset(options?: ResetOptions): Promise<ResetResult<Obs>> {
    return this.env.reset(options) as unknown as Promise<ResetResult<Obs>>;
  }

  step(action: Act): Promise<StepResult<Obs>> {
    return this.env.step(action as unknown as InnerAct) as unknown as Promise<StepResult<Obs>>;
  }

  render(): Promise<NdArray<'uint8'>> {
    if (!this.env.render) throw new Error(`${this.env.constructor.name} cannot render`);
    return this.env.render();
  }

  close(): Promise<void> {
    return this.env.close();
  }
}
