/**
 * Layered presets. A preset file (experiments/presets/<name>.yaml) has
 *   inherit: <parent preset>     (optional)
 *   description: <one line>
 *   defaults: {key: value, ...}  (applies to every task)
 *   tasks: {<domain or domain-task>: {key: value, ...}}  (the paper's per-task table)
 * Resolution, later wins: schema defaults < each ancestor's defaults then its
 * task rows (base first) < an optional --config file < flags. A task row keyed
 * by the domain (`cartpole`) applies before one keyed by the task
 * (`cartpole-swingup`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { fieldNames, fields, type RunConfig } from './fields.ts';
import { showValue } from '../../common/errors.ts';
import { checkAppearanceSeen, checkEncoderInput, ConfigError, validateConfig, validatePartial } from './schema.ts';

export const presetsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'presets');
export const defaultPreset = 'quick';

interface PresetFile {
  name: string;
  inherit?: string;
  description: string;
  defaults: Partial<RunConfig>;
  tasks: Record<string, Partial<RunConfig>>;
}

export function listPresets(): string[] {
  return readdirSync(presetsDir)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => basename(file, '.yaml'))
    .sort();
}

function readYaml(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  try {
    return YAML.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: not valid YAML: ${(error as Error).message}`);
  }
}

export function loadPreset(name: string): PresetFile {
  const path = join(presetsDir, `${name}.yaml`);
  if (!/^[\w-]+$/.test(name) || !existsSync(path)) {
    throw new ConfigError(`preset = "${name}" is not allowed: expected one of ${listPresets().join(', ')}`);
  }
  const raw = readYaml(path) as Record<string, unknown>;
  if (!raw || typeof raw !== 'object') throw new ConfigError(`${path}: expected a mapping with defaults and tasks`);
  const allowed = ['inherit', 'description', 'defaults', 'tasks'];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) throw new ConfigError(`${path}: unknown top-level key "${key}"; expected ${allowed.join(', ')}`);
  }
  const tasks: Record<string, Partial<RunConfig>> = {};
  const rawTasks = (raw.tasks ?? {}) as Record<string, unknown>;
  if (typeof rawTasks !== 'object' || Array.isArray(rawTasks)) throw new ConfigError(`${path}: tasks must map a task name to keys`);
  for (const [task, values] of Object.entries(rawTasks)) tasks[task] = validatePartial(values, `${path}: tasks.${task}`);
  return {
    name,
    inherit: raw.inherit === undefined ? undefined : String(raw.inherit),
    description: String(raw.description ?? ''),
    defaults: validatePartial(raw.defaults, `${path}: defaults`),
    tasks,
  };
}

/** The preset and its ancestors, base first. */
export function presetChain(name: string): PresetFile[] {
  const chain: PresetFile[] = [];
  const seen = new Set<string>();
  for (let current: string | undefined = name; current !== undefined; ) {
    if (seen.has(current)) throw new ConfigError(`preset ${name}: inheritance cycle through "${current}"`);
    seen.add(current);
    const preset = loadPreset(current);
    chain.unshift(preset);
    current = preset.inherit;
  }
  return chain;
}

/**
 * The task part of an env id, which keys the task tables: `dmc:cartpole-swingup`
 * -> `cartpole-swingup`; `remote:tcp://h:1/dm_control/walker-walk?x=1` -> `walker-walk`.
 */
export function taskOf(envId: string): { domain: string; task: string } {
  const withoutQuery = envId.split('?')[0];
  const last = withoutQuery.split(/[/:]/).filter(Boolean).pop() ?? envId;
  return { domain: last.split('-')[0], task: last };
}

export interface ResolveOptions {
  /** The preset to layer over; default: the config file's `preset` key, else the default preset. */
  preset?: string;
  /** A YAML file of keys layered above the preset (`--config`); it may name its preset (`preset: curl`), as a printed config does. */
  configFile?: string;
  /** Keys from flags or from a caller (a search): they win over everything. */
  overrides?: Partial<RunConfig> | Record<string, unknown>;
}

/** The complete, validated config of one run. */
export function resolveConfig(options: ResolveOptions = {}): RunConfig {
  const file = options.configFile ? configFileLayer(options.configFile) : { preset: undefined, layer: {} };
  // A preset given by the caller (the --preset flag) wins over the file's, as every flag does.
  const presetName = options.preset ?? file.preset ?? defaultPreset;
  const chain = presetChain(presetName);
  const fileLayer = file.layer;
  const overrides = validatePartial(options.overrides ?? {}, 'overrides');

  // The env decides which task rows apply, so it is resolved first.
  let env: string = fields.env.default;
  for (const preset of chain) if (preset.defaults.env !== undefined) env = preset.defaults.env;
  if (fileLayer.env !== undefined) env = fileLayer.env;
  if (overrides.env !== undefined) env = overrides.env;
  const { domain, task } = taskOf(env);

  const config: Record<string, unknown> = Object.fromEntries(fieldNames.map((key) => [key, fields[key].default]));
  for (const preset of chain) {
    Object.assign(config, preset.defaults);
    if (preset.tasks[domain]) Object.assign(config, preset.tasks[domain]);
    if (task !== domain && preset.tasks[task]) Object.assign(config, preset.tasks[task]);
  }
  Object.assign(config, fileLayer, overrides, { env, preset: presetName });
  const source = `config (preset ${presetName})`;
  const resolved = validateConfig(config, source);
  checkEncoderInput(resolved, source);
  checkAppearanceSeen(resolved.from, resolved.appearance, source);
  return resolved;
}

/** A config file's keys, and the preset it names (`preset: <name>`, as `--print-config` and config.yaml write it). */
function configFileLayer(path: string): { preset: string | undefined; layer: Partial<RunConfig> } {
  const values = readYaml(path);
  if (values === null || typeof values !== 'object' || Array.isArray(values) || !('preset' in values)) {
    return { preset: undefined, layer: validatePartial(values, path) };
  }
  const { preset, ...rest } = values as Record<string, unknown>;
  if (typeof preset !== 'string' || !listPresets().includes(preset)) {
    throw new ConfigError(`${path}: preset = ${showValue(preset)} is not allowed: expected one of ${listPresets().join(', ')}`);
  }
  return { preset, layer: validatePartial(rest, path) };
}

/** config.yaml text: keys grouped and commented with their doc lines. */
export function configToYaml(config: RunConfig): string {
  const lines = [`# Resolved run config (preset ${config.preset}). Every key is a flag of \`rad train\`.`, `preset: ${config.preset}`];
  let group = '';
  for (const key of fieldNames) {
    const spec = fields[key];
    if (spec.group !== group) {
      group = spec.group;
      lines.push('', `# --- ${group} ---`);
    }
    lines.push(`# ${spec.doc}`, YAML.stringify({ [key]: config[key] }).trimEnd());
  }
  return lines.join('\n') + '\n';
}

/**
 * Keys added after runs were saved without them, whose defaults reproduce
 * those runs: a config.yaml written before a key existed still resumes and
 * evaluates as it ran (the auxiliary losses, SAC-Discrete and the entropy
 * reward switch came on 2026-11-27, n-step returns on 2026-11-28).
 */
const ADDED_KEYS = ['aux', 'byol_weight', 'rotation_weight', 'inverse_weight', 'forward_weight', 'discrete_target_entropy', 'entropy_reward', 'n_step', 'eval_policy'] as const;
const addedDefaults = Object.fromEntries(ADDED_KEYS.map((key) => [key, fields[key].default]));

/** Reads a saved config.yaml back (for resume and eval). */
export function readConfigFile(path: string): RunConfig {
  const raw = readYaml(path);
  const mapping = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
  return validateConfig(mapping ? { ...addedDefaults, ...raw } : raw, path);
}
