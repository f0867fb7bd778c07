/**
 * The auxiliary losses by name, and specs that combine them: `curl`,
 * `curl-rotation`, `inverse-forward`, or `none`. A combination is what ELo-SAC
 * (Li et al., 2022) searches over, each loss with its own weight.
 */
import { Random } from '../../common/random.ts';
import type { ActionSpace } from './actions.ts';
import { ByolLoss } from './byol.ts';
import { CurlLoss } from './curl.ts';
import { ForwardDynamicsLoss } from './forward.ts';
import { InverseDynamicsLoss } from './inverse.ts';
import type { AuxiliaryLoss } from './plugin.ts';
import { RotationLoss } from './rotation.ts';

/** What every loss may be built from; each takes what it needs. */
export interface AuxiliaryBuildOptions {
  featureDim: number;
  hiddenSize: number;
  actionSpace: ActionSpace;
  weight: number;
  /** The run's seed: each loss derives its own initialisation stream from it. */
  seed: number | string;
}

/** Each loss's builder by name (its papers and what it predicts: its file's header, and the README's table). */
export const AUXILIARY_LOSSES = {
  curl: (o: AuxiliaryBuildOptions) => new CurlLoss({ featureDim: o.featureDim, weight: o.weight }, Random.derive(o.seed, 'curl')),
  byol: (o: AuxiliaryBuildOptions) => new ByolLoss({ featureDim: o.featureDim, hiddenSize: o.hiddenSize, weight: o.weight }, Random.derive(o.seed, 'aux/byol')),
  rotation: (o: AuxiliaryBuildOptions) => new RotationLoss({ featureDim: o.featureDim, weight: o.weight }, Random.derive(o.seed, 'aux/rotation')),
  inverse: (o: AuxiliaryBuildOptions) => new InverseDynamicsLoss({ featureDim: o.featureDim, hiddenSize: o.hiddenSize, actionSpace: o.actionSpace, weight: o.weight }, Random.derive(o.seed, 'aux/inverse')),
  forward: (o: AuxiliaryBuildOptions) => new ForwardDynamicsLoss({ featureDim: o.featureDim, hiddenSize: o.hiddenSize, actionSpace: o.actionSpace, weight: o.weight }, Random.derive(o.seed, 'aux/forward')),
} as const satisfies Record<string, (options: AuxiliaryBuildOptions) => AuxiliaryLoss>;

export type AuxiliaryName = keyof typeof AUXILIARY_LOSSES;
export const AUXILIARY_NAMES = Object.keys(AUXILIARY_LOSSES) as AuxiliaryName[];

/** The names in a spec (`curl-rotation`; `none` or '' for no loss), checked: an error names the bad part and the known losses. */
export function parseAuxiliary(spec: string): AuxiliaryName[] {
  if (typeof spec !== 'string') throw new Error(`auxiliary losses: expected a spec string such as curl-rotation or none, got ${typeof spec}`);
  const trimmed = spec.trim();
  if (trimmed === '' || trimmed === 'none') return [];
  const names: AuxiliaryName[] = [];
  for (const part of trimmed.split('-')) {
    if (!(part in AUXILIARY_LOSSES)) {
      throw new Error(`auxiliary losses "${spec}": unknown loss "${part}"; expected names from ${AUXILIARY_NAMES.join(', ')} joined by '-', or none`);
    }
    if (names.includes(part as AuxiliaryName)) throw new Error(`auxiliary losses "${spec}": "${part}" is named twice`);
    names.push(part as AuxiliaryName);
  }
  return names;
}
