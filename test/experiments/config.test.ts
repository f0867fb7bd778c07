import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fieldNames, fields } from '../../experiments/config/fields.ts';
import { configToYaml, listPresets, presetChain, readConfigFile, resolveConfig, taskOf } from '../../experiments/config/presets.ts';
import { ConfigError, parseFlagValue, runAuxiliary } from '../../experiments/config/schema.ts';

describe('run config: presets', () => {
  it('applies the papers per-task tables (action repeat, lr, batch)', () => {
    const rad = (env: string) => resolveConfig({ preset: 'rad', overrides: { env } });
    expect(rad('dmc:cartpole-swingup').action_repeat).toBe(8);
    expect(rad('dmc:finger-spin').action_repeat).toBe(2);
    expect(rad('dmc:walker-walk').action_repeat).toBe(2);
    expect(rad('dmc:reacher-easy').action_repeat).toBe(4);
    expect(rad('dmc:cheetah-run')).toMatchObject({ action_repeat: 4, lr: 2e-4, batch_size: 128, aug: 'crop' });
    expect(rad('dmc:walker-walk').lr).toBe(1e-3);
    const curl = (env: string) => resolveConfig({ preset: 'curl', overrides: { env } });
    expect(curl('dmc:cheetah-run')).toMatchObject({ algo: 'curl', batch_size: 512, lr: 2e-4 });
    expect(curl('dmc:ball_in_cup-catch')).toMatchObject({ batch_size: 128, lr: 1e-3, action_repeat: 4 });
    expect(resolveConfig({ preset: 'drq', overrides: { env: 'dmc:cartpole-swingup' } })).toMatchObject({ algo: 'drq', aug: 'shift', batch_size: 512, action_repeat: 8, drq_k: 2, drq_m: 2, render_size: 84 });
    expect(resolveConfig({ preset: 'sac-state', overrides: { env: 'dmc:cartpole-swingup' } })).toMatchObject({ from: 'states', action_repeat: 1, batch_size: 1024 });
    // remote ids key the table by their last path segment
    expect(resolveConfig({ preset: 'rad', overrides: { env: 'remote:tcp://127.0.0.1:5555/dm_control/cartpole-swingup' } }).action_repeat).toBe(8);
  });

  it('layers presets: quick inherits rad inherits base, and is the default', () => {
    expect(presetChain('quick').map((preset) => preset.name)).toEqual(['base', 'rad', 'quick']);
    const quick = resolveConfig();
    expect(quick.preset).toBe('quick');
    expect(quick).toMatchObject({ env: 'dmc:cartpole-swingup', algo: 'rad', action_repeat: 8 });
    expect(listPresets()).toEqual(expect.arrayContaining(['quick', 'rad', 'curl', 'drq', 'sac-state']));
  });

  it('flags and a --config file override the preset; flags win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rad-config-'));
    const file = join(dir, 'mine.yaml');
    writeFileSync(file, 'batch_size: 64\naction_repeat: 3\n');
    const config = resolveConfig({ preset: 'rad', configFile: file, overrides: { action_repeat: 5, aug: 'crop-cutout' } });
    expect(config).toMatchObject({ batch_size: 64, action_repeat: 5, aug: 'crop-cutout' });
  });

  it('a config file may name its preset, as a printed config does: --print-config then --config runs the same config', () => {
    const printed = resolveConfig({ preset: 'curl', overrides: { env: 'dmc:walker-walk' } });
    const dir = mkdtempSync(join(tmpdir(), 'rad-config-'));
    const file = join(dir, 'printed.yaml');
    writeFileSync(file, configToYaml(printed));
    expect(resolveConfig({ configFile: file })).toEqual(printed);
    // A short file naming a preset gets that preset's keys under its own.
    writeFileSync(join(dir, 'short.yaml'), 'preset: drq\nseed: 4\n');
    expect(resolveConfig({ configFile: join(dir, 'short.yaml') })).toMatchObject({ preset: 'drq', algo: 'drq', aug: 'shift', seed: 4 });
    // A preset the caller gives (the --preset flag) wins, as flags do.
    expect(resolveConfig({ preset: 'rad', configFile: join(dir, 'short.yaml') })).toMatchObject({ preset: 'rad', algo: 'rad', seed: 4 });
  });

  it('saves the resolved config as commented YAML that reads back identically', () => {
    const config = resolveConfig({ preset: 'curl', overrides: { env: 'dmc:cheetah-run', seed: 7, video: true } });
    const dir = mkdtempSync(join(tmpdir(), 'rad-config-'));
    writeFileSync(join(dir, 'config.yaml'), configToYaml(config));
    expect(readConfigFile(join(dir, 'config.yaml'))).toEqual(config);
    expect(configToYaml(config)).toContain(`# ${fields.batch_size.doc}`);
  });

  it('reads a config.yaml saved before the auxiliary loss, SAC-Discrete, n-step and eval_policy keys existed as the run it was (no auxiliary loss beyond its algo, the entropy reward in the target, one-step returns, deterministic evaluations)', () => {
    const config = resolveConfig({ preset: 'curl', overrides: { env: 'dmc:cheetah-run' } });
    const dir = mkdtempSync(join(tmpdir(), 'rad-config-'));
    const older = configToYaml(config).split('\n').filter((line) => !/^(aux|byol_weight|rotation_weight|inverse_weight|forward_weight|discrete_target_entropy|entropy_reward|n_step|eval_policy):/.test(line)).join('\n');
    writeFileSync(join(dir, 'config.yaml'), older);
    expect(readConfigFile(join(dir, 'config.yaml'))).toEqual(config);
    // Another missing key is still an error.
    writeFileSync(join(dir, 'config.yaml'), older.replace(/^lr: .*$/m, ''));
    expect(() => readConfigFile(join(dir, 'config.yaml'))).toThrow(/missing keys lr/);
  });

  it('every key has a doc line and a default that validates', () => {
    for (const key of fieldNames) expect(fields[key].doc.length, key).toBeGreaterThan(10);
    expect(() => resolveConfig({ preset: 'base' })).not.toThrow();
  });

  it('every preset validates with each of its task rows (the relations between keys included)', () => {
    const rows = new Set(listPresets().flatMap((name) => presetChain(name).flatMap((preset) => Object.keys(preset.tasks))));
    for (const preset of listPresets()) {
      for (const env of ['dmc:cartpole-swingup', ...[...rows].map((row) => `dmc:${row}`)]) {
        expect(() => resolveConfig({ preset, overrides: { env } }), `${preset} ${env}`).not.toThrow();
      }
    }
  });

  it('finds the task of an env id', () => {
    expect(taskOf('dmc:ball_in_cup-catch')).toEqual({ domain: 'ball_in_cup', task: 'ball_in_cup-catch' });
    expect(taskOf('remote:tcp://h:1/dmc:walker-walk?x=1')).toEqual({ domain: 'walker', task: 'walker-walk' });
  });
});

describe('run config: bad input names the key, the value and what is allowed', () => {
  const message = (action: () => unknown): string => {
    try {
      action();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('image_size other than the render when nothing crops or translates: the encoder would see the render', () => {
    const rad = (overrides: Record<string, unknown>) => () => resolveConfig({ preset: 'rad', overrides });
    expect(message(rad({ aug: 'none' }))).toMatch(
      /aug = "none" neither crops nor translates, so the encoder sees the 100x100 render, but image_size = 84; set render_size: 84 \(as RAD renders when it does not crop\) or image_size: 100/,
    );
    expect(message(rad({ aug: 'shift' }))).toMatch(/aug = "shift" neither crops nor translates/);
    expect(message(rad({ algo: 'sac' }))).toMatch(/algo sac augments nothing, so the encoder sees the 100x100 render, but image_size = 84/);
    // A render of the size the encoder sees, a crop or a translate, or state observations, are all fine.
    expect(rad({ aug: 'none', render_size: 84 })().aug).toBe('none');
    expect(rad({ aug: 'translate', image_size: 108 })().aug).toBe('translate');
    expect(rad({ aug: 'crop-cutout' })().aug).toBe('crop-cutout');
    expect(resolveConfig({ preset: 'drq' }).aug).toBe('shift');
    // A saved config describes a run already made: it still reads (resume, eval).
    const saved = { ...resolveConfig({ preset: 'rad' }), aug: 'none' };
    const dir = mkdtempSync(join(tmpdir(), 'rad-config-'));
    writeFileSync(join(dir, 'config.yaml'), configToYaml(saved));
    expect(readConfigFile(join(dir, 'config.yaml')).aug).toBe('none');
  });

  it('image_size is what the encoder sees: a crop cuts the render to it, a translate places the render in a canvas of it', () => {
    const rad = (overrides: Record<string, unknown>) => resolveConfig({ preset: 'rad', overrides });
    expect(message(() => rad({ aug: 'translate' }))).toMatch(
      /aug = "translate" places the 100x100 render in an image_size x image_size canvas, but image_size = 84; expected image_size above render_size \(RAD: 108 for its 100 render\)/,
    );
    // A canvas of the render's own size would translate by nothing.
    expect(message(() => rad({ aug: 'translate-cutout', image_size: 100 }))).toMatch(/aug = "translate-cutout" places the 100x100 render .* but image_size = 100/);
    expect(message(() => rad({ aug: 'crop-translate', image_size: 108 }))).toMatch(/aug = "crop-translate" both crops and translates, and each sets the encoder's input to image_size; use one of them/);
    expect(message(() => rad({ aug: 'crop', image_size: 108 }))).toMatch(/image_size = 108 exceeds render_size = 100; the crop cannot be larger than the frame/);
    expect(message(() => resolveConfig({ preset: 'drq', overrides: { aug: 'crop' } }))).toMatch(/aug = "crop" crops the 84x84 render to image_size = 84, which cuts nothing; expected image_size below render_size/);
    // Nor frames to recolour.
    expect(message(() => resolveConfig({ preset: 'sac-state', overrides: { appearance: 'color_hard' } }))).toMatch(
      /appearance "color_hard" changes only what is rendered, and a run with from = states observes the state vector, so only appearance default applies to it/,
    );
    // State runs have no frames to size.
    expect(resolveConfig({ preset: 'sac-state', overrides: { image_size: 120 } }).image_size).toBe(120);
  });

  it('an unknown key, with a suggestion', () => {
    const text = message(() => resolveConfig({ overrides: { batch_sise: 3 } }));
    expect(text).toContain('unknown key "batch_sise"');
    expect(text).toContain('did you mean "batch_size"');
  });

  it('a value out of range, of the wrong type, or not in an enum', () => {
    expect(message(() => resolveConfig({ overrides: { lr: -1 } }))).toMatch(/lr = -1 is not allowed: expected a number > 0/);
    expect(message(() => resolveConfig({ overrides: { batch_size: 1.5 } }))).toMatch(/batch_size = 1.5 is not allowed: expected an integer >= 1/);
    expect(message(() => resolveConfig({ overrides: { algo: 'ppo' } }))).toMatch(/algo = "ppo" is not allowed: expected one of rad, curl, drq, sac/);
    expect(message(() => resolveConfig({ overrides: { video: 'yes' } }))).toMatch(/video = "yes" is not allowed: expected true or false/);
    expect(message(() => resolveConfig({ overrides: { aug: 'crop-blur' } }))).toMatch(/aug = "crop-blur" is not allowed: .*unknown augmentation "blur"/);
    expect(message(() => resolveConfig({ preset: 'rad', overrides: { image_size: 120 } }))).toMatch(/image_size = 120 exceeds render_size = 100/);
    expect(message(() => resolveConfig({ preset: 'rad', overrides: { from: 'states' } }))).toMatch(/aug = "crop" augments pixels, but from = states; use a state augmentation or none/);
    expect(resolveConfig({ preset: 'sac-state', overrides: { aug: 'none' } }).from).toBe('states');
    expect(message(() => resolveConfig({ overrides: { env_steps: 1000, init_steps: 1000 } }))).toMatch(/init_steps = 1000 is not below env_steps = 1000: expected init_steps < env_steps/);
    expect(message(() => resolveConfig({ overrides: { env_steps: 500 } }))).toMatch(/init_steps = 1000 is not below env_steps = 500/); // quick's init_steps
    expect(resolveConfig({ overrides: { env_steps: 1001, init_steps: 1000 } }).env_steps).toBe(1001);
    expect(message(() => resolveConfig({ overrides: { batch_size: 301, replay_capacity: 300 } }))).toMatch(/batch_size = 301 exceeds replay_capacity = 300: expected batch_size <= replay_capacity/);
    expect(resolveConfig({ overrides: { batch_size: 300, replay_capacity: 300 } }).batch_size).toBe(300);
    // Auxiliary losses: a spec of known names, on pixels only; algo curl always has CURL.
    expect(message(() => resolveConfig({ overrides: { aux: 'curl-simclr' } }))).toMatch(/aux = "curl-simclr" is not allowed: .*unknown loss "simclr"; expected names from curl, byol, rotation, inverse, forward/);
    expect(message(() => resolveConfig({ preset: 'sac-state', overrides: { aux: 'rotation' } }))).toMatch(/aux = "rotation" trains the pixel encoder with rotation, but from = states has no encoder/);
    expect(message(() => resolveConfig({ overrides: { aux: 'curl-forward', n_step: 3 } }))).toMatch(/n_step = 3 gives batches of n-step windows, but aux forward learns from one-step transitions .*; use n_step: 1 with forward/);
    expect(resolveConfig({ overrides: { aux: 'curl', n_step: 3 } }).n_step).toBe(3);
    expect(message(() => resolveConfig({ preset: 'sac-state', overrides: { algo: 'curl', aug: 'none' } }))).toMatch(/algo curl trains the pixel encoder with curl, but from = states/);
    expect(runAuxiliary(resolveConfig({ preset: 'curl', overrides: { aux: 'rotation-inverse' } }))).toEqual(['curl', 'rotation', 'inverse']);
    expect(runAuxiliary(resolveConfig({ preset: 'rad', overrides: { aux: 'forward-curl' } }))).toEqual(['forward', 'curl']);
    expect(runAuxiliary(resolveConfig({ preset: 'rad' }))).toEqual([]);
    // camera -1 is MuJoCo's free camera (dm_control's camera_id=-1); below that, nothing.
    expect(resolveConfig({ overrides: { camera: -1 } }).camera).toBe(-1);
    expect(message(() => resolveConfig({ overrides: { camera: -2 } }))).toMatch(/camera = -2 is not allowed: expected an integer >= -1 and <= 64/);
  });

  it('flag text that does not parse', () => {
    expect(message(() => parseFlagValue('batch_size', 'many'))).toBe('--batch-size "many" is not allowed: expected an integer >= 1 and <= 65536');
    expect(message(() => parseFlagValue('video', 'maybe'))).toMatch(/--video "maybe" is not allowed: expected true or false/);
    expect(parseFlagValue('lr', '2e-4')).toBe(2e-4);
  });

  it('an unknown preset, a bad preset file key, a bad YAML file', () => {
    expect(message(() => resolveConfig({ preset: 'ppo' }))).toMatch(/preset = "ppo" is not allowed: expected one of .*curl.*quick.*rad/);
    const dir = mkdtempSync(join(tmpdir(), 'rad-config-'));
    writeFileSync(join(dir, 'bad.yaml'), 'frame_stack: [3\n');
    expect(message(() => resolveConfig({ configFile: join(dir, 'bad.yaml') }))).toMatch(/not valid YAML/);
    writeFileSync(join(dir, 'unknown.yaml'), 'framestack: 3\n');
    expect(message(() => resolveConfig({ configFile: join(dir, 'unknown.yaml') }))).toMatch(/unknown key "framestack" \(did you mean "frame_stack"\?\)/);
    writeFileSync(join(dir, 'preset.yaml'), 'preset: ppo\n');
    expect(message(() => resolveConfig({ configFile: join(dir, 'preset.yaml') }))).toMatch(/preset\.yaml: preset = "ppo" is not allowed: expected one of .*curl.*quick.*rad/);
  });
});
