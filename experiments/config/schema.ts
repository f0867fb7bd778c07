/**
 * The zod schema of a run config, generated from the field table, and the
 * error messages a person reads when a key or value is wrong: each names the
 * key, the value given and what is allowed.
 */
import { z } from 'zod';
import { parseAugmentations } from '../../augment/pipeline.ts';
import { augmentationParamsOf } from '../../agents/sac/config.ts';
import { parseAuxiliary, type AuxiliaryName } from '../../agents/aux/registry.ts';
import { fieldNames, fields, flagName, type FieldName, type FieldSpec, type RunConfig } from './fields.ts';
import { InputError, showValue } from '../../common/errors.ts';

/** What a field accepts, in words, for error messages and help. */
export function allowedText(spec: FieldSpec): string {
  switch (spec.type) {
    case 'enum':
      return `one of ${spec.values!.join(', ')}`;
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'int':
    case 'number': {
      const kind = spec.type === 'int' ? 'an integer' : 'a number';
      const low = spec.positive ? `> 0` : spec.min !== undefined ? `>= ${spec.min}` : '';
      const high = spec.max !== undefined ? `<= ${spec.max}` : '';
      const bounds = [low, high].filter(Boolean).join(' and ');
      return bounds ? `${kind} ${bounds}` : kind;
    }
  }
}

function fieldSchema(spec: FieldSpec): z.ZodType {
  switch (spec.type) {
    case 'enum':
      return z.enum(spec.values as [string, ...string[]]);
    case 'boolean':
      return z.boolean();
    case 'string':
      return z.string();
    case 'int':
    case 'number': {
      let schema = spec.type === 'int' ? z.number().int() : z.number();
      schema = schema.refine(Number.isFinite, 'finite');
      if (spec.positive) schema = schema.gt(0);
      if (spec.min !== undefined) schema = schema.gte(spec.min);
      if (spec.max !== undefined) schema = schema.lte(spec.max);
      return schema;
    }
  }
}

/** A partial config (a preset layer or flags): known keys only, each valid. */
export const partialConfigSchema = z
  .object(Object.fromEntries(fieldNames.map((key) => [key, fieldSchema(fields[key]).optional()])) as unknown as Record<FieldName, z.ZodType>)
  .strict();

/** A complete config: every key present. */
export const runConfigSchema = z
  .object({
    ...(Object.fromEntries(fieldNames.map((key) => [key, fieldSchema(fields[key])])) as Record<FieldName, z.ZodType>),
    preset: z.string(),
  })
  .strict();

/** A bad run config (a key, a value, a preset or config file). */
export class ConfigError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Closest known key by edit distance, for "did you mean". */
export function closestKey(name: string): string | null {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0];
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = current;
      }
    }
    return row[b.length];
  };
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const key of fieldNames) {
    const d = distance(name.replace(/-/g, '_'), key);
    if (d < bestDistance) [best, bestDistance] = [key, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

/**
 * Validates a partial config from `source` (a preset file, a flag list) and
 * throws a ConfigError naming the key, the value and what is allowed.
 */
export function validatePartial(values: unknown, source: string): Partial<RunConfig> {
  if (values === null || values === undefined) return {};
  if (typeof values !== 'object' || Array.isArray(values)) {
    throw new ConfigError(`${source}: expected a mapping of config keys to values, got ${showValue(values)}`);
  }
  const result = partialConfigSchema.safeParse(values);
  if (result.success) return result.data as Partial<RunConfig>;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys
        .map((key) => {
          const guess = closestKey(key);
          return `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}; known keys: ${fieldNames.join(', ')}`;
        })
        .join('\n  ');
    }
    const key = String(issue.path[0]) as FieldName;
    const value = (values as Record<string, unknown>)[key];
    return `${key} = ${showValue(value)} is not allowed: expected ${allowedText(fields[key])}`;
  });
  throw new ConfigError(`${source}:\n  ${problems.join('\n  ')}`);
}

/**
 * Turns a flag's text into the field's type (`--batch-size 256` -> 256).
 * Throws naming the flag, the text and what is allowed.
 */
export function parseFlagValue(key: FieldName, text: string): number | string | boolean {
  const spec: FieldSpec = fields[key];
  const fail = (): never => {
    throw new ConfigError(`${flagName(key)} ${showValue(text)} is not allowed: expected ${allowedText(spec)}`);
  };
  switch (spec.type) {
    case 'int':
    case 'number': {
      if (text.trim() === '') fail();
      const value = Number(text);
      if (!Number.isFinite(value)) fail();
      return value;
    }
    case 'boolean':
      if (['true', '1', 'yes', 'on'].includes(text.toLowerCase())) return true;
      if (['false', '0', 'no', 'off'].includes(text.toLowerCase())) return false;
      return fail();
    default:
      return text;
  }
}

/** Checks a complete config (also the relations between keys). */
export function validateConfig(config: unknown, source = 'config'): RunConfig {
  const result = runConfigSchema.safeParse(config);
  if (!result.success) {
    const missing = result.error.issues.filter((i) => i.code === 'invalid_type' && (config as Record<string, unknown>)?.[String(i.path[0])] === undefined);
    if (missing.length) throw new ConfigError(`${source}: missing keys ${missing.map((i) => i.path[0]).join(', ')}`);
    const { preset: _preset, ...rest } = (config ?? {}) as Record<string, unknown>;
    validatePartial(rest, source);
    throw new ConfigError(`${source}: ${result.error.message}`);
  }
  const resolved = result.data as RunConfig;
  // Both would run silently: a run that never leaves its random actions, a batch the buffer can never hold.
  if (resolved.init_steps >= resolved.env_steps) {
    throw new ConfigError(`${source}: init_steps = ${resolved.init_steps} is not below env_steps = ${resolved.env_steps}: expected init_steps < env_steps, so that the agent acts and learns within the budget`);
  }
  if (resolved.batch_size > resolved.replay_capacity) {
    throw new ConfigError(`${source}: batch_size = ${resolved.batch_size} exceeds replay_capacity = ${resolved.replay_capacity}: expected batch_size <= replay_capacity, since a batch is sampled from the replay buffer`);
  }
  let pipeline: ReturnType<typeof parseAugmentations>;
  try {
    pipeline = agentPipeline(resolved);
  } catch (error) {
    throw new ConfigError(`${source}: aug = ${showValue(resolved.aug)} is not allowed: ${(error as Error).message}`);
  }
  const observed = resolved.from === 'pixels' ? 'pixels' : 'state';
  if (pipeline.kind !== 'none' && pipeline.kind !== observed) {
    throw new ConfigError(`${source}: aug = ${showValue(resolved.aug)} augments ${pipeline.kind}, but from = ${resolved.from}; use ${observed === 'state' ? 'a state augmentation' : 'a pixel augmentation'} or none`);
  }
  if (resolved.from === 'pixels') checkResizing(resolved, pipeline.names, source);
  let auxiliary: AuxiliaryName[];
  try {
    auxiliary = runAuxiliary(resolved);
  } catch (error) {
    throw new ConfigError(`${source}: aux = ${showValue(resolved.aux)} is not allowed: ${(error as Error).message}`);
  }
  if (auxiliary.length > 0 && resolved.from !== 'pixels') {
    const what = resolved.algo === 'curl' ? 'algo curl' : `aux = ${showValue(resolved.aux)}`;
    throw new ConfigError(`${source}: ${what} trains the pixel encoder with ${auxiliary.join(', ')}, but from = ${resolved.from} has no encoder; use from: pixels, or aux: none with algo rad, drq or sac`);
  }
  const oneStep = auxiliary.filter((name) => ONE_STEP_AUXILIARY.includes(name));
  if (resolved.n_step > 1 && oneStep.length > 0) {
    throw new ConfigError(`${source}: n_step = ${resolved.n_step} gives batches of n-step windows, but aux ${oneStep.join(', ')} learns from one-step transitions (the next observation and its reward); use n_step: 1 with ${oneStep.join(', ')}`);
  }
  if (resolved.env.trim() === '') throw new ConfigError(`${source}: env = "" is not allowed: expected an env id such as dmc:cartpole-swingup`);
  return resolved;
}

/** Auxiliary losses that read a transition's next observation and reward: they need n_step 1. */
const ONE_STEP_AUXILIARY: readonly AuxiliaryName[] = ['inverse', 'forward'];

/** The auxiliary losses a run trains with: algo curl's CURL loss, then those `aux` names. */
export function runAuxiliary(config: Pick<RunConfig, 'algo' | 'aux'>): AuxiliaryName[] {
  const names = parseAuxiliary(config.aux);
  return config.algo === 'curl' && !names.includes('curl') ? ['curl', ...names] : names;
}

/** The augmentation spec the agent applies: algo sac augments nothing, whatever `aug` says. */
export function agentAugmentation(config: Pick<RunConfig, 'algo' | 'aug'>): string {
  return config.algo === 'sac' ? 'none' : config.aug;
}

/** The agent's augmentation pipeline for `config`, with the parameters the agent gives it (crop and translate end at image_size). */
function agentPipeline(config: RunConfig): ReturnType<typeof parseAugmentations> {
  return parseAugmentations(agentAugmentation(config), augmentationParamsOf({ imageSize: config.image_size, augmentationParams: {} }));
}

/**
 * image_size is the encoder's input: a crop cuts the render down to it (RAD:
 * 100 -> 84), a translate places the render in a canvas of it (RAD: 100 in
 * 108). So a crop must be smaller than the render and a translate larger (at
 * the render's own size either does nothing), and one pipeline cannot hold
 * both: each would end at image_size.
 */
function checkResizing(config: RunConfig, names: readonly string[], source: string): void {
  const { image_size: image, render_size: render } = config;
  const aug = showValue(config.aug);
  const crops = names.includes('crop');
  const translates = names.includes('translate');
  if (crops && translates) {
    throw new ConfigError(`${source}: aug = ${aug} both crops and translates, and each sets the encoder's input to image_size; use one of them (crop: image_size below render_size; translate: above)`);
  }
  if (crops && image > render) {
    throw new ConfigError(`${source}: image_size = ${image} exceeds render_size = ${render}; the crop cannot be larger than the frame`);
  }
  if (crops && image === render) {
    throw new ConfigError(`${source}: aug = ${aug} crops the ${render}x${render} render to image_size = ${image}, which cuts nothing; expected image_size below render_size (RAD: 84 from its 100 render)`);
  }
  if (translates && image <= render) {
    throw new ConfigError(
      `${source}: aug = ${aug} places the ${render}x${render} render in an image_size x image_size canvas, but image_size = ${image}; expected image_size above render_size (RAD: 108 for its 100 render)`,
    );
  }
}

/** An appearance changes only what is rendered, which a run observing states never sees. */
export function checkAppearanceSeen(from: RunConfig['from'], appearance: string, source: string): void {
  if (from === 'states' && appearance !== 'default') {
    throw new ConfigError(`${source}: appearance ${showValue(appearance)} changes only what is rendered, and a run with from = states observes the state vector, so only appearance default applies to it`);
  }
}

/**
 * For a new run (not a saved one, which describes a run already made): without a
 * crop or a translate the encoder sees the rendered frame itself, so an
 * image_size other than render_size would not be what it sees. RAD renders at
 * image_size when it does not crop (its train.py: pre_transform_image_size).
 */
export function checkEncoderInput(config: RunConfig, source: string): void {
  if (config.from !== 'pixels' || config.image_size === config.render_size) return;
  if (agentPipeline(config).outputShape([config.render_size, config.render_size, 3])[0] !== config.render_size) return;
  const what = config.algo === 'sac' ? 'algo sac augments nothing' : `aug = ${showValue(config.aug)} neither crops nor translates`;
  throw new ConfigError(
    `${source}: ${what}, so the encoder sees the ${config.render_size}x${config.render_size} render, but image_size = ${config.image_size}; ` +
      `set render_size: ${config.image_size} (as RAD renders when it does not crop) or image_size: ${config.render_size}`,
  );
}
