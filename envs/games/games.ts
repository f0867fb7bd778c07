/**
 * The in-process games and their ids: `games:maze`, with ProcGen's level
 * options as kwargs, `games:maze?num_levels=200&start_level=0` (train on 200
 * levels) and `games:maze?start_level=100000` (evaluate on unseen ones).
 */
import { InputError, showValue } from '../../common/errors.ts';
import { MazeEnv, type MazeOptions } from './maze.ts';

export const GAMES = ['maze'] as const;
export type GameName = (typeof GAMES)[number];

/** The kwargs an id may carry, with their defaults (ProcGen's) and bounds. */
const KWARGS = {
  num_levels: { key: 'numLevels', default: 0, min: 0, doc: 'levels in the set (0: all)' },
  start_level: { key: 'startLevel', default: 0, min: 0, doc: 'first level of the set' },
  max_steps: { key: 'maxSteps', default: 500, min: 1, doc: 'steps before an episode is cut' },
} as const;

export interface GameId {
  game: GameName;
  options: Omit<MazeOptions, 'renderSize'>;
}

/** `maze?num_levels=200` -> the game and its options; an InputError names a bad game, key or value. */
export function parseGameId(name: string): GameId {
  const [game, query = ''] = name.split('?', 2);
  if (!(GAMES as readonly string[]).includes(game)) throw new InputError(`games:${name}: unknown game "${game}"; expected one of ${GAMES.join(', ')}`);
  const options = { numLevels: KWARGS.num_levels.default, startLevel: KWARGS.start_level.default, maxSteps: KWARGS.max_steps.default } as GameId['options'];
  for (const pair of query ? query.split('&') : []) {
    const [key, text = ''] = pair.split('=', 2);
    const spec = KWARGS[key as keyof typeof KWARGS];
    if (!spec) throw new InputError(`games:${name}: unknown option "${key}"; expected ${Object.entries(KWARGS).map(([k, s]) => `${k} (${s.doc})`).join(', ')}`);
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value) || value < spec.min || value >= 2 ** 31) {
      throw new InputError(`games:${name}: ${key} = ${showValue(text)} is not allowed: expected an integer >= ${spec.min} and < 2^31`);
    }
    options[spec.key] = value;
  }
  if (options.startLevel + options.numLevels > 2 ** 31) {
    throw new InputError(`games:${name}: start_level + num_levels = ${options.startLevel + options.numLevels} exceeds 2^31, the number of levels`);
  }
  return { game: game as GameName, options };
}

export function makeGame(name: string, renderSize: number): MazeEnv {
  const { options } = parseGameId(name);
  return new MazeEnv({ ...options, renderSize });
}
