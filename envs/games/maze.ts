/**
 * A maze game in the manner of ProcGen's Maze (Cobbe et al., 2020, "Leveraging
 * Procedural Generation to Benchmark Reinforcement Learning"), in-process: the
 * agent walks a procedurally generated maze to the cheese. Each level is a
 * function of its level seed: the maze's size (5 to 15 cells a side, odd),
 * its corridors (a randomised depth-first search, so every open cell is
 * reachable), the cheese's cell and the wall and floor colours. The view is
 * the whole 15 x 15 world from above.
 *
 * As ProcGen's: reward 10 on reaching the cheese, which ends the episode
 * (termination); otherwise it is cut at `maxSteps` (500, truncation); levels
 * are drawn per episode from `[startLevel, startLevel + numLevels)`, or from
 * all 2^31 when numLevels is 0, so a run trains on one set and is evaluated on
 * unseen levels with another `startLevel`. Unlike ProcGen, the actions are 5
 * (stay, left, right, up, down; ProcGen's 15 button combinations map onto
 * these for Maze) and the observation from states is three WORLD x WORLD
 * planes: the walls, the agent's cell and the cheese's (one-hot planes, as
 * grid worlds such as MiniGrid encode cells: an MLP given the cells as
 * coordinates could not tell neighbouring cells apart well enough to learn
 * level 0 from its every transition).
 */
import { randomInt } from 'node:crypto';
import { ndarray, type NdArray } from '../../common/ndarray.ts';
import { Random } from '../../common/random.ts';
import { Box, Discrete, type Env, type ResetOptions, type ResetResult, type StepResult } from '../core.ts';

/** Cells of the world a side; mazes are drawn at its centre, walls around them. */
export const WORLD = 15;
const ACTIONS: readonly [number, number][] = [
  [0, 0], // stay
  [-1, 0], // left
  [1, 0], // right
  [0, -1], // up
  [0, 1], // down
];
const AGENT_RGB = [40, 110, 230];
const CHEESE_RGB = [250, 210, 40];

export interface MazeOptions {
  /** Levels in the set episodes draw from; 0: every level (ProcGen's num_levels). */
  numLevels: number;
  /** The first level of the set (ProcGen's start_level). */
  startLevel: number;
  /** Steps before an episode is cut (truncation). */
  maxSteps: number;
  /** Side of the rendered frames in pixels. */
  renderSize: number;
}

export interface MazeLevel {
  /** WORLD x WORLD, row-major: 1 wall, 0 open. */
  walls: Uint8Array;
  /** Cells as [column, row]. */
  start: [number, number];
  cheese: [number, number];
  wallRgb: number[];
  floorRgb: number[];
}

/** Level `seed`'s maze: a function of the seed alone. */
export function mazeLevel(seed: number): MazeLevel {
  const rng = Random.derive(seed, 'games/maze/level');
  const side = 5 + 2 * rng.int((WORLD - 5) / 2 + 1);
  const offset = (WORLD - side) / 2;
  const walls = new Uint8Array(WORLD * WORLD).fill(1);
  // Rooms sit at odd positions inside the maze; carving opens the wall between two rooms.
  const rooms = (side - 1) / 2;
  const cell = (room: number) => offset + 1 + 2 * room;
  const visited = new Uint8Array(rooms * rooms);
  const first = rng.int(rooms * rooms);
  const stack = [first];
  visited[first] = 1;
  walls[cell(Math.floor(first / rooms)) * WORLD + cell(first % rooms)] = 0;
  while (stack.length > 0) {
    const current = stack[stack.length - 1];
    const row = Math.floor(current / rooms);
    const column = current % rooms;
    const next: number[] = [];
    for (const [dx, dy] of ACTIONS.slice(1)) {
      const r = row + dy;
      const c = column + dx;
      if (r >= 0 && r < rooms && c >= 0 && c < rooms && !visited[r * rooms + c]) next.push(r * rooms + c);
    }
    if (next.length === 0) {
      stack.pop();
      continue;
    }
    const chosen = next[rng.int(next.length)];
    const r = Math.floor(chosen / rooms);
    const c = chosen % rooms;
    visited[chosen] = 1;
    walls[cell(r) * WORLD + cell(c)] = 0;
    walls[((cell(r) + cell(row)) / 2) * WORLD + (cell(c) + cell(column)) / 2] = 0;
    stack.push(chosen);
  }
  // The agent starts in the bottom-left room, as in ProcGen's Maze; the cheese is in another room.
  const start: [number, number] = [cell(0), cell(rooms - 1)];
  let goal = rng.int(rooms * rooms - 1);
  if (goal >= (rooms - 1) * rooms) goal++; // skip the start room
  const cheese: [number, number] = [cell(goal % rooms), cell(Math.floor(goal / rooms))];
  const shade = (low: number, high: number) => [0, 1, 2].map(() => Math.round(low + (high - low) * rng.uniform()));
  return { walls, start, cheese, wallRgb: shade(20, 120), floorRgb: shade(150, 255) };
}

export class MazeEnv implements Env<NdArray, number> {
  readonly actionSpace = new Discrete(ACTIONS.length);
  /** Three WORLD x WORLD planes, row-major: the walls, the agent's cell, the cheese's cell (1 there, 0 elsewhere). */
  readonly observationSpace = new Box(0, 1, [3 * WORLD * WORLD], 'float32');
  readonly metadata = { renderFps: 15 };
  private rng: Random | null = null;
  private level: MazeLevel | null = null;
  private levelSeed = 0;
  private position: [number, number] = [0, 0];
  private steps = 0;
  private done = true;

  constructor(readonly options: MazeOptions) {}

  async reset(options?: ResetOptions): Promise<ResetResult<NdArray>> {
    if (options?.seed !== undefined || !this.rng) this.rng = new Random(options?.seed ?? randomInt(2 ** 31));
    const { numLevels, startLevel } = this.options;
    this.levelSeed = numLevels === 0 ? this.rng.int(2 ** 31) : startLevel + this.rng.int(numLevels);
    this.level = mazeLevel(this.levelSeed);
    this.position = [...this.level.start];
    this.steps = 0;
    this.done = false;
    return { obs: this.state(), info: { level: this.levelSeed } };
  }

  async step(action: number): Promise<StepResult<NdArray>> {
    const problem = this.actionSpace.check(action);
    if (problem) throw new Error(`MazeEnv.step: bad action: ${problem}`);
    if (this.done || !this.level) throw new Error('MazeEnv.step: the episode has ended; call reset() first');
    const [dx, dy] = ACTIONS[action];
    const x = this.position[0] + dx;
    const y = this.position[1] + dy;
    if (this.level.walls[y * WORLD + x] === 0) this.position = [x, y];
    this.steps++;
    const terminated = this.position[0] === this.level.cheese[0] && this.position[1] === this.level.cheese[1];
    const truncated = !terminated && this.steps >= this.options.maxSteps;
    this.done = terminated || truncated;
    return { obs: this.state(), reward: terminated ? 10 : 0, terminated, truncated, info: { level: this.levelSeed } };
  }

  /** The world from above, renderSize x renderSize: walls, floor, the cheese and the agent as discs in their cells. */
  async render(): Promise<NdArray<'uint8'>> {
    if (!this.level) throw new Error('MazeEnv.render: call reset() first');
    const size = this.options.renderSize;
    const { walls, cheese, wallRgb, floorRgb } = this.level;
    const frame = new Uint8Array(size * size * 3);
    const cellSize = size / WORLD;
    for (let py = 0; py < size; py++) {
      const y = (py + 0.5) / cellSize;
      const row = Math.floor(y);
      for (let px = 0; px < size; px++) {
        const x = (px + 0.5) / cellSize;
        const column = Math.floor(x);
        // Within 0.4 of a cell's centre: the disc of what stands there.
        const inDisc = (x - column - 0.5) ** 2 + (y - row - 0.5) ** 2 <= 0.16;
        let rgb = walls[row * WORLD + column] ? wallRgb : floorRgb;
        if (inDisc && column === cheese[0] && row === cheese[1]) rgb = CHEESE_RGB;
        if (inDisc && column === this.position[0] && row === this.position[1]) rgb = AGENT_RGB;
        frame.set(rgb, 3 * (py * size + px));
      }
    }
    return ndarray('uint8', [size, size, 3], frame);
  }

  async close(): Promise<void> {
    this.level = null;
  }

  /** The level being played (for tests and analysis). */
  currentLevel(): { seed: number; level: MazeLevel; position: [number, number] } | null {
    return this.level && { seed: this.levelSeed, level: this.level, position: [...this.position] };
  }

  private state(): NdArray<'float32'> {
    const { walls, cheese } = this.level!;
    const data = new Float32Array(3 * WORLD * WORLD);
    data.set(walls);
    data[WORLD * WORLD + this.position[1] * WORLD + this.position[0]] = 1;
    data[2 * WORLD * WORLD + cheese[1] * WORLD + cheese[0]] = 1;
    return ndarray('float32', [data.length], data);
  }
}
