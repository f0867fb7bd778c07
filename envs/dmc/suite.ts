/**
 * The Control Suite's tasks by dm_control's names: `loadDmcEnv('cartpole-swingup')`
 * returns a `DmcEnv`; `listDmcTasks()` lists every `<domain>-<task>`.
 */
import { DmcEnv, type DmcEnvOptions } from './env.ts';
import type { TaskFactory } from './task.ts';
import { tasks as ballInCup } from './tasks/ball_in_cup.ts';
import { tasks as cartpole } from './tasks/cartpole.ts';
import { tasks as cheetah } from './tasks/cheetah.ts';
import { tasks as finger } from './tasks/finger.ts';
import { tasks as pendulum } from './tasks/pendulum.ts';
import { tasks as pointMass } from './tasks/point_mass.ts';
import { tasks as reacher } from './tasks/reacher.ts';
import { tasks as walker } from './tasks/walker.ts';
import { InputError } from '../../common/errors.ts';

/** Every domain's task factories, keyed by dm_control's domain name. */
export const DOMAINS: Record<string, Record<string, TaskFactory>> = {
  ball_in_cup: ballInCup,
  cartpole,
  cheetah,
  finger,
  pendulum,
  point_mass: pointMass,
  reacher,
  walker,
};

/** Every task id, `<domain>-<task>`, sorted. */
export function listDmcTasks(): string[] {
  return Object.entries(DOMAINS)
    .flatMap(([domain, tasks]) => Object.keys(tasks).map((task) => `${domain}-${task}`))
    .sort();
}

/** The task factory for `<domain>-<task>`; throws listing the known ids when unknown. */
export function dmcTask(domainTask: string): TaskFactory {
  const match = /^([a-z_]+)-([a-z_]+)$/.exec(domainTask);
  const factory = match ? DOMAINS[match[1]]?.[match[2]] : undefined;
  if (!factory) throw new InputError(`unknown DeepMind Control task "${domainTask}": expected one of ${listDmcTasks().join(', ')}`);
  return factory;
}

/** A fresh env for `<domain>-<task>` (e.g. 'cartpole-swingup'); close it when done. */
export async function loadDmcEnv(domainTask: string, options: DmcEnvOptions = {}): Promise<DmcEnv> {
  return DmcEnv.create(dmcTask(domainTask)(), options);
}
