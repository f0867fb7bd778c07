/** Physics: loading (and its errors), named access, stepping, and the module's memory. */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_FOLDER } from '../../../envs/dmc/env.ts';
import { moduleMemoryBytes, mujocoModule, Physics } from '../../../envs/dmc/physics.ts';
import { loadDmcEnv } from '../../../envs/dmc/suite.ts';

const folder = mkdtempSync(join(tmpdir(), 'rad-physics-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('Physics', () => {
  it('names the model file when the XML is malformed or does not compile', async () => {
    const badElement = join(folder, 'bad_element.xml');
    writeFileSync(badElement, '<mujoco><worldbody><gem name="typo"/></worldbody></mujoco>');
    await expect(Physics.fromFile(badElement)).rejects.toThrow(new RegExp(`MuJoCo model ${badElement} failed to load: the XML does not parse as MJCF \\(mjXError\\)`));
    const badMaterial = join(folder, 'bad_material.xml');
    writeFileSync(badMaterial, '<mujoco><worldbody><geom size=".1" material="nowhere"/></worldbody></mujoco>');
    await expect(Physics.fromFile(badMaterial)).rejects.toThrow(/bad_material\.xml failed to load: the model does not compile \(mjCError\)/);
    await expect(Physics.fromFile(join(folder, 'missing.xml'))).rejects.toThrow(/missing\.xml: cannot read the file/);
    const badInclude = join(folder, 'bad_include.xml');
    writeFileSync(badInclude, '<mujoco><include file="./common/none.xml"/></mujoco>');
    await expect(Physics.fromFile(badInclude)).rejects.toThrow(/common\/none\.xml: cannot read the file/);
  });

  it('loads a model with its included files and recompiles when a file changes', async () => {
    mkdirSync(join(folder, 'parts'), { recursive: true });
    writeFileSync(join(folder, 'parts', 'option.xml'), '<mujoco><option timestep="0.005"/></mujoco>');
    const path = join(folder, 'included.xml');
    writeFileSync(path, '<mujoco><include file="./parts/option.xml"/><size memory="64K"/><worldbody><body name="b"><joint name="j" type="slide" axis="0 0 1"/><geom size=".1" mass="2"/></body></worldbody></mujoco>');
    const first = await Physics.fromFile(path);
    expect(first.timestep).toBe(0.005);
    writeFileSync(join(folder, 'parts', 'option.xml'), '<mujoco><option timestep="0.002"/></mujoco>');
    const second = await Physics.fromFile(path);
    expect(second.timestep).toBe(0.002);
    // Free fall under gravity: the body drops g t^2 / 2 (semi-implicit Euler is close to it).
    second.step(500);
    expect(second.time).toBeCloseTo(1, 9);
    expect(second.jointQpos('j')[0]).toBeCloseTo(-9.81 / 2, 1);
    expect(second.bodyXpos('b')[2]).toBeCloseTo(second.jointQpos('j')[0], 12);
    first.delete();
    second.delete();
  });

  it('reads and writes by name, and names what is missing or mis-sized', async () => {
    const physics = await Physics.fromFile(MODELS_FOLDER + 'reacher.xml');
    try {
      physics.setJointQpos('shoulder', 0.5);
      physics.setJointQvel('wrist', [-2]);
      physics.forward();
      expect(physics.jointQpos('shoulder')[0]).toBe(0.5);
      expect(physics.qvel()[1]).toBe(-2);
      // The finger sits 0.12 + 0.12 m from the shoulder along the rotated arm.
      const finger = physics.geomXpos('finger');
      expect(finger[0]).toBeCloseTo(0.24 * Math.cos(0.5), 12);
      expect(finger[1]).toBeCloseTo(0.24 * Math.sin(0.5), 12);
      expect(physics.bodyXmat('arm')[0]).toBeCloseTo(Math.cos(0.5), 12);
      expect(physics.jointRange('wrist')).toEqual({ limited: true, low: expect.closeTo((-160 * Math.PI) / 180, 12), high: expect.closeTo((160 * Math.PI) / 180, 12) });
      physics.setModelRow('geom_rgba', 'target', [1, 0, 0, 1]);
      expect(Array.from(physics.modelRow('geom_rgba', 'target'))).toEqual([1, 0, 0, 1]);
      expect(() => physics.geomXpos('hand2')).toThrow(/reacher\.xml: no geom named "hand2"/);
      expect(() => physics.setJointQpos('wrist', [1, 2])).toThrow(/qpos of joint "wrist" needs 1 values, got 2/);
      expect(() => physics.setControl([1])).toThrow(/ctrl needs 2 values, got 1/);
      expect(physics.names('actuator')).toEqual(['shoulder', 'wrist']);
    } finally {
      physics.delete();
    }
  });
});

describe('the MuJoCo module memory', () => {
  it('keeps accessors valid after the module memory grows', async () => {
    const mujoco = await mujocoModule();
    const physics = await Physics.fromFile(MODELS_FOLDER + 'pendulum.xml');
    physics.setState([0.25], [1.5]);
    const before = moduleMemoryBytes(mujoco);
    const block = new mujoco.DoubleBuffer(8 * 1024 * 1024); // 64 MB: more than is free, so memory grows
    try {
      expect(moduleMemoryBytes(mujoco)).toBeGreaterThan(before);
      expect(Array.from(physics.qpos())).toEqual([0.25]);
      physics.setControl([0.5]);
      physics.step(3);
      expect(physics.time).toBeCloseTo(0.06, 12);
      expect(physics.bodyXmat('pole')[8]).toBeCloseTo(Math.cos(physics.jointQpos('hinge')[0]), 12);
    } finally {
      block.delete();
      physics.delete();
    }
  });


  it('holds 100 envs at once and gets the memory back when they are closed', async () => {
    const mujoco = await mujocoModule();
    // Warm up: the model template is compiled once and kept.
    await (await loadDmcEnv('cartpole-swingup')).close();
    const before = moduleMemoryBytes(mujoco);
    const round = async (): Promise<number> => {
      const envs = [];
      for (let i = 0; i < 100; i++) envs.push(await loadDmcEnv('cartpole-swingup'));
      await Promise.all(envs.map((env) => env.reset({ seed: 0 })));
      const peak = moduleMemoryBytes(mujoco);
      for (const env of envs) await env.close();
      expect(envs.every((env) => env.physics.isDeleted)).toBe(true);
      return peak;
    };
    const peak = await round();
    expect(peak).toBeLessThan(2 ** 31);
    // Memory a wasm module got never shrinks; what comes back is free space inside
    // it: a block nearly as large as the 100 envs took fits without growing it...
    const freed = peak - before;
    const probe = new mujoco.DoubleBuffer(Math.floor((0.9 * freed) / 8));
    expect(moduleMemoryBytes(mujoco)).toBe(peak);
    probe.delete();
    // ...and a second round of 100 envs needs no more memory than the first.
    expect(await round()).toBe(peak);
  }, 60_000);
});
