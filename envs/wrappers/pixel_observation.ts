/**
 * Replaces the observation with the env's rendered RGB frame (Gymnasium's
 * AddRenderObservation with render_only). The state observation stays in
 * `info.state`, for analysis and for asymmetric agents.
 */
import type { NdArray } from '../../common/ndarray.ts';
import { Box, type Env, type ResetOptions, type ResetResult, type StepResult } from '../core.ts';
import { Wrapper } from './wrapper.ts';

export interface PixelObservationOptions {
  /** Height and width the inner env renders at; checked on every frame. */
  height: number;
  width: number;
}

export class PixelObservation<InnerObs, Act> extends Wrapper<NdArray<'uint8'>, Act, InnerObs> {
  private readonly pixelSpace: Box;

  constructor(
    env: Env<InnerObs, Act>,
    readonly options: PixelObservationOptions,
  ) {
    super(env);
    if (!env.render) throw new Error(`PixelObservation: ${env.constructor.name} cannot render`);
    for (const key of ['height', 'width'] as const) {
      const value = options[key];
      if (!Number.isInteger(value) || value < 1) throw new Error(`PixelObservation: ${key} must be a positive integer, got ${value}`);
    }
    this.pixelSpace = new Box(0, 255, [options.height, options.width, 3], 'uint8');
  }

  get observationSpace(): Box {
    return this.pixelSpace;
  }

  async reset(options?: ResetOptions): Promise<ResetResult<NdArray<'uint8'>>> {
    const { obs, info } = await this.env.reset(options);
    return { obs: await this.frame(), info: { ...info, state: obs } };
  }

  async step(action: Act): Promise<StepResult<NdArray<'uint8'>>> {
    const result = await this.env.step(action);
    return { ...result, obs: await this.frame(), info: { ...result.info, state: result.obs } };
  }

  private async frame(): Promise<NdArray<'uint8'>> {
    const image = await this.render();
    const [height, width] = image.shape;
    if (height !== this.options.height || width !== this.options.width || image.shape[2] !== 3) {
      throw new Error(
        `PixelObservation: the env rendered [${image.shape}], expected [${this.options.height},${this.options.width},3]`,
      );
    }
    return image;
  }
}
