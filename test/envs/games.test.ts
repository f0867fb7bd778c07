/**
 * games:maze, the in-process ProcGen-style maze: levels are functions of their
 * seed and solvable, episodes draw levels from the configured set, the rules
 * (walls, cheese, time limit) hold, frames show what the state says, and ids
 * with bad options are refused by name.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../common/errors.ts';
import type { NdArray } from '../../common/ndarray.ts';
import { parseGameId } from '../../envs/games/games.ts';
import { MazeEnv, mazeLevel, WORLD, type MazeLevel } from '../../envs/games/maze.ts';
import { makeEnv } from '../../envs/registry.ts';

const MOVES: Record<string, [number, number]> = { 1: [-1, 0], 2: [1, 0], 3: [0, -1], 4: [0, 1] };

/** Breadth-first distances over open cells from `from` (-1: unreachable). */
function distances(level: MazeLevel, from: [number, number]): Int32Array {
  const distance = new Int32Array(WORLD * WORLD).fill(-1);
  const queue = [from[1] * WORLD + from[0]];
  distance[queue[0]] = 0;
  while (queue.length) {
    const current = queue.shift()!;
    for (const [dx, dy] of Object.values(MOVES)) {
      const next = current + dy * WORLD + dx;
      if (level.walls[next] === 0 && distance[next] < 0) {
        distance[next] = distance[current] + 1;
        queue.push(next);
      }
    }
  }
  return distance;
}

/** The action that steps toward the cheese along a shortest path. */
function towardCheese(level: MazeLevel, position: [number, number]): number {
  const toCheese = distances(level, level.cheese);
  const here = toCheese[position[1] * WORLD + position[0]];
  for (const [action, [dx, dy]] of Object.entries(MOVES)) {
    if (toCheese[(position[1] + dy) * WORLD + position[0] + dx] === here - 1) return Number(action);
  }
  throw new Error('no step toward the cheese');
}

const maze = (options: Partial<ConstructorParameters<typeof MazeEnv>[0]> = {}) => new MazeEnv({ numLevels: 0, startLevel: 0, maxSteps: 500, renderSize: 30, ...options });
const pixel = (frame: NdArray<'uint8'>, x: number, y: number) => [...frame.data.subarray(3 * (y * frame.shape[1] + x), 3 * (y * frame.shape[1] + x) + 3)];

describe('games:maze levels', () => {
  it('are a function of the seed; every open cell and the cheese are reachable from the start', () => {
    const sides = new Set<number>();
    for (let seed = 0; seed < 60; seed++) {
      const level = mazeLevel(seed);
      expect(mazeLevel(seed)).toEqual(level);
      const reach = distances(level, level.start);
      for (let cell = 0; cell < WORLD * WORLD; cell++) if (level.walls[cell] === 0) expect(reach[cell]).toBeGreaterThanOrEqual(0);
      expect(reach[level.cheese[1] * WORLD + level.cheese[0]]).toBeGreaterThan(0);
      // The world's border is wall: moves never leave it.
      for (let i = 0; i < WORLD; i++) expect([level.walls[i], level.walls[i * WORLD], level.walls[(WORLD - 1) * WORLD + i], level.walls[i * WORLD + WORLD - 1]]).toEqual([1, 1, 1, 1]);
      let open = 0;
      for (const wall of level.walls) open += 1 - wall;
      // A maze of k x k rooms has k^2 rooms and k^2 - 1 openings between them (a tree).
      const rooms = Math.round(Math.sqrt((open + 1) / 2));
      expect(open).toBe(2 * rooms * rooms - 1);
      sides.add(2 * rooms + 1);
    }
    expect([...sides].sort((a, b) => a - b)).toEqual([5, 7, 9, 11, 13, 15]);
    expect(mazeLevel(1).walls).not.toEqual(mazeLevel(2).walls);
  });

  it('are drawn per episode from [start_level, start_level + num_levels), from the reset seed', async () => {
    const env = maze({ numLevels: 3, startLevel: 10 });
    const levels = new Set<number>();
    levels.add((await env.reset({ seed: 1 })).info.level as number);
    for (let i = 0; i < 40; i++) levels.add((await env.reset()).info.level as number);
    expect([...levels].sort()).toEqual([10, 11, 12]);
    const again = maze({ numLevels: 3, startLevel: 10 });
    const first = [(await again.reset({ seed: 1 })).info.level];
    expect(first).toEqual([[...levels][0]]);
    const unseen = maze({ startLevel: 100_000 });
    const drawn = new Set<number>();
    for (let i = 0; i < 20; i++) drawn.add((await unseen.reset({ seed: i })).info.level as number);
    expect(drawn.size).toBe(20);
  });
});

describe('games:maze episodes', () => {
  it('walls stop the agent; the shortest path reaches the cheese for 10 and ends the episode', async () => {
    for (const seed of [3, 4, 5]) {
      const env = maze();
      await env.reset({ seed });
      const { level } = env.currentLevel()!;
      // Into a wall: the agent stays (the start room has a wall on its left, the maze's border).
      const stay = await env.step(1);
      expect(env.currentLevel()!.position).toEqual(level.start);
      expect(stay).toMatchObject({ reward: 0, terminated: false, truncated: false });
      let result = stay;
      let steps = 0;
      while (!result.terminated) {
        result = await env.step(towardCheese(level, env.currentLevel()!.position));
        steps++;
      }
      expect(result.reward).toBe(10);
      expect(steps).toBe(distances(level, level.start)[level.cheese[1] * WORLD + level.cheese[0]]);
      await expect(env.step(0)).rejects.toThrow(/the episode has ended; call reset\(\) first/);
    }
  });

  it('is cut at max_steps (truncation, not termination); refuses actions outside Discrete(5)', async () => {
    const env = maze({ maxSteps: 7 });
    await env.reset({ seed: 2 });
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await env.step(0));
    expect(results.map((r) => r.truncated)).toEqual([false, false, false, false, false, false, true]);
    expect(results.every((r) => !r.terminated && r.reward === 0)).toBe(true);
    await env.reset();
    await expect(env.step(5)).rejects.toThrow(/bad action: 5 is outside \[0, 5\)/);
  });

  it('renders the wall, floor, cheese and agent where the state puts them, byte for byte the same for the same seed', async () => {
    const env = maze({ renderSize: 45 }); // 3 pixels a cell
    const { obs } = await env.reset({ seed: 8 });
    const { level } = env.currentLevel()!;
    const frame = await env.render();
    expect(frame.shape).toEqual([45, 45, 3]);
    const centre = ([x, y]: [number, number]) => pixel(frame, 3 * x + 1, 3 * y + 1);
    expect(centre(level.start)).toEqual([40, 110, 230]);
    expect(centre(level.cheese)).toEqual([250, 210, 40]);
    expect(pixel(frame, 0, 0)).toEqual(level.wallRgb);
    // The state: the wall plane, then one-hot planes of the agent's and the cheese's cells.
    const plane = (index: number) => [...obs.data.subarray(index * WORLD * WORLD, (index + 1) * WORLD * WORLD)];
    const oneHot = ([x, y]: [number, number]) => Array.from({ length: WORLD * WORLD }, (_, cell) => (cell === y * WORLD + x ? 1 : 0));
    expect(obs.data.length).toBe(3 * WORLD * WORLD);
    expect(plane(0)).toEqual([...level.walls]);
    expect(plane(1)).toEqual(oneHot(level.start));
    expect(plane(2)).toEqual(oneHot(level.cheese));
    const twin = maze({ renderSize: 45 });
    await twin.reset({ seed: 8 });
    expect((await twin.render()).data).toEqual(frame.data);
  });
});

describe('games: ids', () => {
  it('take ProcGen-style options and refuse bad ones by name', () => {
    expect(parseGameId('maze?num_levels=200&start_level=5&max_steps=100').options).toEqual({ numLevels: 200, startLevel: 5, maxSteps: 100 });
    expect(parseGameId('maze').options).toEqual({ numLevels: 0, startLevel: 0, maxSteps: 500 });
    expect(() => parseGameId('coinrun')).toThrow(InputError);
    expect(() => parseGameId('coinrun')).toThrow(/unknown game "coinrun"; expected one of maze/);
    expect(() => parseGameId('maze?levels=3')).toThrow(/unknown option "levels"; expected num_levels \(levels in the set \(0: all\)\), start_level/);
    expect(() => parseGameId('maze?num_levels=-1')).toThrow(/num_levels = "-1" is not allowed: expected an integer >= 0 and < 2\^31/);
    expect(() => parseGameId('maze?max_steps=')).toThrow(/max_steps = "" is not allowed/);
  });

  it('make an env with the standard wrappers: stacked frames of the render size, five actions', async () => {
    const env = await makeEnv('games:maze?num_levels=5', { renderSize: 16, frameStack: 2 });
    expect(String(env.actionSpace)).toBe('Discrete(5)');
    const { obs } = await env.reset({ seed: 1 });
    expect((obs as NdArray).shape).toEqual([16, 16, 6]);
    await env.close();
  });
});
