/**
 * Stacks the last `k` observations along the channel (last) axis, oldest first,
 * as RAD, CURL and DrQ feed an encoder: (H, W, C) frames become (H, W, C*k). At
 * reset the first frame fills every slot.
 */
import type { NdArray } from '../../common/ndarray.ts';
import { zeros } from '../../common/ndarray.ts';
import { Box, type Env, type ResetOptions, type ResetResult, type StepResult } from '../core.ts';
import { Wrapper } from './wrapper.ts';

export class FrameStack<Act> extends Wrapper<NdArray, Act> {
  private readonly frames: NdArray[] = [];
  private readonly stackedSpace: Box;

  constructor(
    env: Env<NdArray, Act>,
    readonly k: number,
  ) {
    super(env);
    if (!Number.isInteger(k) || k < 1) throw new Error(`FrameStack: k must be a positive integer, got ${k}`);
    const space = env.observationSpace;
    if (!(space instanceof Box)) throw new Error(`FrameStack: needs a Box observation space, got ${space}`);
    const channels = space.shape[space.shape.length - 1];
    const stackedShape = [...space.shape.slice(0, -1), channels * k];
    this.stackedSpace = new Box(this.stack(space.low, channels), this.stack(space.high, channels), stackedShape, space.dtype);
  }

  get observationSpace(): Box {
    return this.stackedSpace;
  }

  async reset(options?: ResetOptions): Promise<ResetResult<NdArray>> {
    const { obs, info } = await this.env.reset(options);
    this.frames.length = 0;
    for (let i = 0; i < this.k; i++) this.frames.push(obs);
    return { obs: this.stacked(), info };
  }

  async step(action: Act): Promise<StepResult<NdArray>> {
    const result = await this.env.step(action);
    this.frames.shift();
    this.frames.push(result.obs);
    return { ...result, obs: this.stacked() };
  }

  /** Interleaves the k frames' channels pixel by pixel: [f0 c0..cC, f1 c0..cC, ...]. */
  private stacked(): NdArray {
    const first = this.frames[0];
    const channels = first.shape[first.shape.length - 1];
    const out = zeros(first.dtype, this.stackedSpace.shape);
    const target = out.data as Uint8Array;
    const pixels = first.data.length / channels;
    const width = channels * this.k;
    for (let f = 0; f < this.k; f++) {
      const source = this.frames[f].data as Uint8Array;
      const offset = f * channels;
      for (let p = 0; p < pixels; p++) {
        for (let c = 0; c < channels; c++) target[p * width + offset + c] = source[p * channels + c];
      }
    }
    return out;
  }

  private stack(bound: Float64Array, channels: number): Float64Array {
    const pixels = bound.length / channels;
    const out = new Float64Array(bound.length * this.k);
    for (let p = 0; p < pixels; p++) {
      for (let f = 0; f < this.k; f++) {
        for (let c = 0; c < channels; c++) out[(p * this.k + f) * channels + c] = bound[p * channels + c];
      }
    }
    return out;
  }
}
