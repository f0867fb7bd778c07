/**
 * Test scenes: small MJCF models loaded straight into mujoco-js, and reference
 * dm_control models (../shared/reference) set to a recorded reset state.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import loadMujoco, { type MainModule, type MjData, type MjModel } from 'mujoco-js';

let modulePromise: Promise<MainModule> | null = null;
export function mujoco(): Promise<MainModule> {
  if (!modulePromise) modulePromise = loadMujoco();
  return modulePromise;
}

export interface LoadedModel {
  model: MjModel;
  data: MjData;
  free(): void;
}

let fileCounter = 0;

/** Compiles MJCF text (with optional included files) and runs mj_forward. */
export async function loadXml(xml: string, includes: Record<string, string> = {}): Promise<LoadedModel> {
  const mj = await mujoco();
  const folder = `/render_tests/${fileCounter++}`;
  mj.FS.mkdirTree(folder, 0o777);
  for (const [name, text] of Object.entries(includes)) {
    mj.FS.mkdirTree(join(folder, name, '..'), 0o777);
    mj.FS.writeFile(join(folder, name), text);
  }
  mj.FS.writeFile(`${folder}/model.xml`, xml);
  const model = mj.MjModel.loadFromXML(`${folder}/model.xml`);
  const data = new mj.MjData(model);
  mj.mj_forward(model, data);
  return {
    model,
    data,
    free() {
      data.delete();
      model.delete();
    },
  };
}

import { REFERENCE_FOLDER } from '../reference.ts';
export { REFERENCE_FOLDER, hasReference } from '../reference.ts';

const OBJECT_TYPE: Record<string, number> = { geom: 5, site: 6, body: 1 };

/**
 * dm_control's reference model of a task at its recorded reset state
 * (dmc_rollouts/<task>.json: qpos0, qvel0 and the model fields the task randomised).
 */
export async function loadReferenceTask(task: string): Promise<LoadedModel> {
  const mj = await mujoco();
  const rollout = JSON.parse(readFileSync(join(REFERENCE_FOLDER, 'dmc_rollouts', `${task}.json`), 'utf8'));
  const suite = join(REFERENCE_FOLDER, 'dm_control_suite');
  const includes: Record<string, string> = {};
  for (const name of readdirSync(join(suite, 'common'))) includes[`common/${name}`] = readFileSync(join(suite, 'common', name), 'utf8');
  const loaded = await loadXml(readFileSync(join(suite, `${rollout.domain}.xml`), 'utf8'), includes);
  const { model, data } = loaded;
  for (const [field, { names, values }] of Object.entries<{ names: string[]; values: number[][] }>(rollout.model)) {
    const view = (model as unknown as Record<string, Float64Array | Float32Array>)[field];
    names.forEach((name, row) => {
      const id = name === '' ? -1 : mj.mj_name2id(model, OBJECT_TYPE[field.split('_')[0]], name);
      if (id < 0) return;
      const width = values[row].length;
      for (let column = 0; column < width; column++) view[id * width + column] = values[row][column];
    });
  }
  // dm_control's finger Spin task hides the target and tip sites (site_rgba alpha 0),
  // a model field the rollout files do not record.
  if (task === 'finger-spin') {
    const rgba = model.site_rgba as Float32Array;
    for (const name of ['target', 'tip']) rgba[4 * mj.mj_name2id(model, OBJECT_TYPE.site, name) + 3] = 0;
  }
  (data.qpos as Float64Array).set(rollout.qpos0);
  (data.qvel as Float64Array).set(rollout.qvel0);
  mj.mj_forward(model, data);
  return loaded;
}
