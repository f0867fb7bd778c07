/**
 * The TypeScript twin of pixel_env.py for the Node-server tests: a dot on a
 * size x size RGB image, pixel (0, 0) red = step count, truncated after
 * `episodeLength` steps, Box(-1, 1, [2]) actions or Discrete(5) moves.
 */
import { zeros } from '../../../common/ndarray.ts';
import type { NdArray } from '../../../common/ndarray.ts';
import { Random } from '../../../common/random.ts';
import { Box, Discrete } from '../../../envs/core.ts';
import type { Env, ResetOptions, ResetResult, StepResult } from '../../../envs/core.ts';

const moves = [
  [0, 0],
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
];

export interface PixelEnvOptions {
  size?: number;
  episodeLength?: number;
  discrete?: boolean;
}

export class PixelEnv implements Env<NdArray<'uint8'>, NdArray | number> {
  readonly observationSpace: Box;
  readonly actionSpace: Box | Discrete;
  readonly metadata = { renderFps: 10 };
  readonly size: number;
  readonly episodeLength: number;
  private rng = new Random(0);
  private position = [0, 0];
  private steps = 0;
  closed = false;

  constructor(options: PixelEnvOptions = {}) {
    this.size = options.size ?? 16;
    this.episodeLength = options.episodeLength ?? 10;
    this.observationSpace = new Box(0, 255, [this.size, this.size, 3], 'uint8');
    this.actionSpace = options.discrete ? new Discrete(5) : new Box(-1, 1, [2], 'float32');
  }

  private draw(): NdArray<'uint8'> {
    const frame = zeros('uint8', [this.size, this.size, 3]);
    const clamp = (x: number) => Math.min(this.size - 1, Math.max(0, Math.round(x)));
    const offset = (clamp(this.position[0]) * this.size + clamp(this.position[1])) * 3;
    frame.data.fill(255, offset, offset + 3);
    frame.data[0] = this.steps % 256;
    return frame;
  }

  async reset(options: ResetOptions = {}): Promise<ResetResult<NdArray<'uint8'>>> {
    if (options.seed !== undefined) this.rng = new Random(options.seed);
    this.position = [this.rng.uniform(0, this.size - 1), this.rng.uniform(0, this.size - 1)];
    this.steps = 0;
    return { obs: this.draw(), info: { position: [...this.position] } };
  }

  async step(action: NdArray | number): Promise<StepResult<NdArray<'uint8'>>> {
    const move = typeof action === 'number' ? moves[action] : Array.from((action as NdArray<'float32'>).data);
    this.position = this.position.map((x, i) => Math.min(this.size - 1, Math.max(0, x + move[i])));
    this.steps++;
    const centre = (this.size - 1) / 2;
    const reward = -(Math.abs(this.position[0] - centre) + Math.abs(this.position[1] - centre)) / this.size;
    return { obs: this.draw(), reward, terminated: false, truncated: this.steps >= this.episodeLength, info: { steps: this.steps } };
  }

  async render(): Promise<NdArray<'uint8'>> {
    return this.draw();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
