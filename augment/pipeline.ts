/**
 * A spec such as `crop-translate-cutout` becomes a `Pipeline` that applies the
 * named augmentations in the order written (RAD's `--data_augs` syntax: names
 * joined by '-'; a name's own words may be joined by '_' or '-', so
 * `cutout-color` and `cutout_color` both name the coloured cutout).
 * 'none', 'no_aug' and '' are the identity.
 *
 * Differs from RAD's published code in order only: RAD applies crop, cutout and
 * translate first whatever the spec's order, then the rest; here the spec's
 * order is the order. Write `crop-grayscale`, not `grayscale-crop`, for RAD's.
 *
 * Pixels stay uint8 [N, H, W, 3k] through the pipeline; an augmentation that
 * computes in float rounds and clamps to 0..255 before the next one sees it.
 */
import type { NdArray } from '../common/ndarray.ts';
import type { Random } from '../common/random.ts';
import type { Augmentation, Kind } from './registry.ts';
import { ALIASES, AUGMENTATIONS, AUGMENTATION_NAMES, findAugmentation } from './registry.ts';
import { InputError } from '../common/errors.ts';

const IDENTITY_NAMES = new Set(['', 'none', 'no_aug', 'identity']);

export interface PipelineOptions {
  /** Evaluation: RAD centres crop and translate and applies nothing else. */
  eval?: boolean;
  /** Optional output buffer for the final result (reused across updates; must not alias the input). */
  out?: NdArray;
}

interface Stage {
  augmentation: Augmentation;
  params: Record<string, unknown>;
}

function validNames(): string {
  return `${AUGMENTATION_NAMES.join(', ')} (or none)`;
}

/** Splits a spec into augmentation names, longest match first over its '-'/'_' separated words. */
function tokenize(spec: string): Augmentation[] {
  const words = spec.split(/[-_]/);
  const found: Augmentation[] = [];
  let start = 0;
  while (start < words.length) {
    let match: Augmentation | undefined;
    let end = words.length;
    for (; end > start; end--) {
      match = findAugmentation(words.slice(start, end).join('_'));
      if (match) break;
    }
    if (!match) {
      // Named as written up to the next '-': "state_noise", not its first word "state".
      const offset = words.slice(0, start).reduce((sum, word) => sum + word.length + 1, 0);
      const unknown = spec.slice(offset).split('-')[0];
      const joined = /[,+\s]/.test(spec) ? ` (names in a spec are joined with "-", e.g. crop-translate)` : '';
      throw new InputError(`augmentation spec "${spec}": unknown augmentation "${unknown}"${joined}; valid names: ${validNames()}`);
    }
    found.push(match);
    start = end;
  }
  return found;
}

/** Parameters per name: `{crop: {size: 84}}` or flat `{'crop.size': 84}`; aliases accepted as keys. */
function groupParams(names: Set<string>, params: Record<string, unknown> | undefined): Map<string, Record<string, unknown>> {
  const grouped = new Map<string, Record<string, unknown>>();
  if (params === undefined || params === null) return grouped;
  if (typeof params !== 'object' || Array.isArray(params)) {
    throw new InputError(`augmentation parameters must be an object keyed by augmentation name, got ${JSON.stringify(params)}`);
  }
  for (const [key, value] of Object.entries(params)) {
    const dot = key.indexOf('.');
    const rawName = (dot < 0 ? key : key.slice(0, dot)).replace(/-/g, '_');
    const name = ALIASES[rawName] ?? rawName;
    if (!findAugmentation(name)) {
      throw new InputError(`augmentation parameters: unknown augmentation "${rawName}" in key "${key}"; valid names: ${validNames()}`);
    }
    // Parameters of a known augmentation the spec does not use are ignored, so one
    // preset can carry settings for several specs (`--aug translate` over a crop preset).
    if (!names.has(name)) continue;
    const group = grouped.get(name) ?? {};
    if (dot >= 0) {
      group[key.slice(dot + 1)] = value;
    } else {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new InputError(`augmentation parameters: "${key}" must be an object of ${name}'s parameters, got ${JSON.stringify(value)}`);
      }
      Object.assign(group, value);
    }
    grouped.set(name, group);
  }
  return grouped;
}

export class Pipeline {
  /** Canonical names in the order applied. */
  readonly names: string[];
  /** 'pixels' (uint8 [N, H, W, 3k]), 'state' (float32 [N, D]) or 'none' (the identity). */
  readonly kind: Kind | 'none';
  private readonly stages: Stage[];

  constructor(stages: Stage[]) {
    this.stages = stages;
    this.names = stages.map((stage) => stage.augmentation.name);
    this.kind = stages.length === 0 ? 'none' : stages[0].augmentation.kind;
  }

  /** The per-sample shape after the pipeline: [H, W, C] -> [H', W', C] (or [D] -> [D]). */
  outputShape(shape: readonly number[]): number[] {
    let current = [...shape];
    for (const stage of this.stages) current = stage.augmentation.outputShape(current, stage.params);
    return current;
  }

  /** Parameters in force for each stage, defaults filled in (for the saved run config). */
  describe(): { name: string; params: Record<string, unknown> }[] {
    return this.stages.map((stage) => ({ name: stage.augmentation.name, params: { ...stage.params } }));
  }

  /** Augments a batch; the input is never modified. The identity returns the input itself. */
  apply(batch: NdArray<'uint8'>, rng: Random, options?: PipelineOptions): NdArray<'uint8'>;
  apply(batch: NdArray<'float32'>, rng: Random, options?: PipelineOptions): NdArray<'float32'>;
  apply(batch: NdArray, rng: Random, options: PipelineOptions = {}): NdArray {
    if (this.stages.length === 0) {
      if (options.out) {
        options.out.data.set(batch.data as never);
        return options.out;
      }
      return batch;
    }
    this.checkBatch(batch);
    let current = batch;
    this.stages.forEach((stage, index) => {
      const last = index === this.stages.length - 1;
      const out = last && stage.augmentation.writesOut ? options.out : undefined;
      current = stage.augmentation.apply(current, rng, stage.params, { eval: options.eval, out: out as NdArray<'uint8'> | undefined });
    });
    if (options.out && current !== options.out) {
      const expected = options.out.shape.join(',');
      if (current.shape.join(',') !== expected) {
        throw new Error(`pipeline ${this.names.join('-')}: out has shape [${options.out.shape}], the result is [${current.shape}]`);
      }
      options.out.data.set(current.data as never);
      return options.out;
    }
    return current;
  }

  /**
   * Augments obs and next_obs of the same transitions, each stage following its
   * paper's rule (registry.ts): 'shared' stages (translate, amplitude_scale) give
   * next_obs the same draws as obs; the others draw afresh.
   */
  applyPair<B extends NdArray>(obs: B, nextObs: B, rng: Random, options: { eval?: boolean } = {}): [B, B] {
    if (obs.dtype !== nextObs.dtype || obs.shape.join(',') !== nextObs.shape.join(',')) {
      throw new Error(`applyPair: obs [${obs.shape}] ${obs.dtype} and nextObs [${nextObs.shape}] ${nextObs.dtype} must have the same shape and dtype`);
    }
    if (this.stages.length === 0) return [obs, nextObs];
    this.checkBatch(obs);
    let first: NdArray = obs;
    let second: NdArray = nextObs;
    for (const stage of this.stages) {
      const saved = rng.getState();
      first = stage.augmentation.apply(first, rng, stage.params, { eval: options.eval });
      let secondRng = rng;
      if (stage.augmentation.pair === 'shared') {
        // Replay obs's draws for next_obs; `rng` itself stays advanced past them once.
        secondRng = rng.fork('pair');
        secondRng.setState(saved);
      }
      second = stage.augmentation.apply(second, secondRng, stage.params, { eval: options.eval });
    }
    return [first as B, second as B];
  }

  private checkBatch(batch: NdArray): void {
    const expected = this.kind === 'pixels' ? 'uint8' : 'float32';
    if (batch.dtype !== expected) {
      const layout = this.kind === 'pixels' ? '[N, H, W, 3k]' : '[N, D]';
      throw new Error(`pipeline ${this.names.join('-')}: ${this.kind} augmentations take a ${expected} batch ${layout}, got ${batch.dtype} [${batch.shape}]`);
    }
    this.outputShape(batch.shape.slice(1));
  }
}

/**
 * Parses a spec (`crop`, `crop-translate-cutout`, `none`) and per-augmentation
 * parameters into a pipeline. An unknown augmentation name (in the spec or as a
 * parameter key), an unknown parameter or a value out of range is an error naming
 * it and what is allowed; parameters of a valid augmentation the spec does not
 * use are ignored. Pixel and state augmentations cannot mix.
 */
export function parseAugmentations(spec: string, params?: Record<string, unknown>): Pipeline {
  if (typeof spec !== 'string') throw new InputError(`augmentation spec must be a string such as "crop-translate", got ${JSON.stringify(spec)}`);
  const normalized = spec.trim().toLowerCase();
  const augmentations = IDENTITY_NAMES.has(normalized) ? [] : tokenize(normalized);
  const grouped = groupParams(new Set(augmentations.map((augmentation) => augmentation.name)), params);
  const kinds = new Set(augmentations.map((augmentation) => augmentation.kind));
  if (kinds.size > 1) {
    const describe = (kind: Kind) => augmentations.filter((a) => a.kind === kind).map((a) => a.name).join(', ');
    throw new InputError(`augmentation spec "${spec}" mixes pixel augmentations (${describe('pixels')}) with state augmentations (${describe('state')}); use one kind`);
  }
  return new Pipeline(augmentations.map((augmentation) => ({ augmentation, params: augmentation.params(grouped.get(augmentation.name)) })));
}

/** One line per augmentation: name, kind and meaning (for `--help` and error messages). */
export function listAugmentations(): string[] {
  return AUGMENTATIONS.map((augmentation) => `${augmentation.name} (${augmentation.kind}): ${augmentation.summary}`);
}
