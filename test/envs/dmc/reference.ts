/**
 * Helpers for tests against dm_control's reference material in
 * ../shared/reference (the reference MJCF files and recorded rollouts). Tests
 * that need it skip where that folder is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { DmcEnv } from '../../../envs/dmc/env.ts';
import { fileURLToPath } from 'node:url';
import type { Physics } from '../../../envs/dmc/physics.ts';
import { MODEL_ROW_FIELDS, type ModelRowField } from '../../../envs/dmc/physics.ts';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const REFERENCE_FOLDER = `${repositoryRoot}../shared/reference`;
export const REFERENCE_MODELS = `${REFERENCE_FOLDER}/dm_control_suite`;
export const REFERENCE_ROLLOUTS = `${REFERENCE_FOLDER}/dmc_rollouts`;
export const hasReference = existsSync(REFERENCE_MODELS) && existsSync(REFERENCE_ROLLOUTS);

export interface ReferenceStep {
  reward: number;
  discount: number;
  qpos: number[];
  qvel: number[];
  observation: Record<string, number[]>;
}

export interface ReferenceState {
  qpos: number[];
  qvel: number[];
  ctrl: number[];
  /** Rows set for this state only, keyed "<field>.<name>". */
  model: Record<string, number[]>;
  reward: number;
  observation: Record<string, number[]>;
}

export interface ReferenceRollout {
  domain: string;
  task: string;
  physics_timestep: number;
  control_timestep: number;
  qpos0: number[];
  qvel0: number[];
  model: Record<string, { names: string[]; values: number[][] }>;
  observation0: Record<string, number[]>;
  actions: number[][];
  steps: ReferenceStep[];
  states: ReferenceState[];
}

export function readRollout(taskId: string): ReferenceRollout {
  return JSON.parse(readFileSync(`${REFERENCE_ROLLOUTS}/${taskId}.json`, 'utf8')) as ReferenceRollout;
}

/** Writes the recorded model fields into `physics`, by name (unnamed rows are not randomised by any task). */
export function applyModelFields(physics: Physics, model: ReferenceRollout['model']): void {
  for (const [field, { names, values }] of Object.entries(model)) {
    if (!(field in MODEL_ROW_FIELDS)) continue;
    names.forEach((name, row) => {
      if (name && name !== 'world') physics.setModelRow(field as ModelRowField, name, values[row]);
    });
  }
}

/** Applies a state's own overrides, keyed "<field>.<name>". */
export function applyModelOverrides(physics: Physics, overrides: Record<string, number[]>): void {
  for (const [key, values] of Object.entries(overrides)) {
    const dot = key.indexOf('.');
    physics.setModelRow(key.slice(0, dot) as ModelRowField, key.slice(dot + 1), values);
  }
}

/** Largest absolute difference between two equal-length sequences. */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Names of the model's array fields whose contents differ, byte for byte, between two models, and how many were compared. */
export function differingArrays(ours: Physics, theirs: Physics): { compared: number; differing: string[] } {
  const differing: string[] = [];
  let compared = 0;
  for (const field of Object.getOwnPropertyNames(Object.getPrototypeOf(ours.model))) {
    let a: unknown;
    let b: unknown;
    try {
      a = (ours.model as unknown as Record<string, unknown>)[field];
      b = (theirs.model as unknown as Record<string, unknown>)[field];
    } catch {
      continue; // methods and accessors that need arguments
    }
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || field === 'buffer') continue;
    compared += 1;
    const bytesA = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const bytesB = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    if (!bytesA.equals(bytesB)) differing.push(field);
  }
  return { compared, differing };
}

/**
 * Puts `env` where dm_control's recorded episode starts: a reset (which applies the
 * task's own model changes), then the recorded model fields and state and
 * dm_control's after-reset forward pass. Returns the env's physics and task.
 */
export async function startRecordedEpisode(env: DmcEnv, rollout: ReferenceRollout): Promise<Pick<DmcEnv, 'physics' | 'task'>> {
  await env.reset({ seed: 0 });
  const { physics, task } = env;
  expect(physics.timestep).toBe(rollout.physics_timestep);
  expect(task.controlTimestep).toBe(rollout.control_timestep);
  applyModelFields(physics, rollout.model);
  physics.setState(rollout.qpos0, rollout.qvel0);
  physics.afterReset();
  return { physics, task };
}
