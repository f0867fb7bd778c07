/**
 * Adam (Kingma & Ba, 2015) with PyTorch's update rule, which the RAD and CURL
 * reference code runs: p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
 * Its state (m, v and the step count) is exposed by name so checkpoints can save it.
 * On wasm one kernel does a parameter's step in one pass (same arithmetic, same bits).
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_STEP } from '../tf/wasm_kernels.ts';
import { assignNamed } from './parameters.ts';

export interface AdamOptions {
  /** Learning rate. */
  lr: number;
  /** Exponential decay of the first moment. */
  beta1?: number;
  /** Exponential decay of the second moment. */
  beta2?: number;
  /** Added to the denominator for numerical stability. */
  eps?: number;
}

export class Adam {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private steps = 0;
  private readonly first = new Map<string, tf.Variable>();
  private readonly second = new Map<string, tf.Variable>();

  constructor(
    private readonly parameters: Map<string, tf.Variable>,
    options: AdamOptions,
  ) {
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    for (const [key, value] of Object.entries({ lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps })) {
      if (!(Number.isFinite(value) && value >= 0) || ((key === 'beta1' || key === 'beta2') && value >= 1)) {
        throw new Error(`Adam: ${key} must be a finite number${key.startsWith('beta') ? ' in [0, 1)' : ' >= 0'}, got ${value}`);
      }
    }
    for (const [name, variable] of parameters) {
      this.first.set(name, tf.tidy(() => tf.variable(tf.zerosLike(variable), false)));
      this.second.set(name, tf.tidy(() => tf.variable(tf.zerosLike(variable), false)));
    }
  }

  /** One step; `gradients` is keyed by parameter name and may omit parameters (they keep their value and moments). */
  step(gradients: Map<string, tf.Tensor>): void {
    this.steps += 1;
    const correction1 = 1 - this.beta1 ** this.steps;
    const correction2 = Math.sqrt(1 - this.beta2 ** this.steps);
    const fused = tf.getBackend() === 'wasm' && tf.getKernel(ADAM_STEP, 'wasm') != null;
    tf.tidy(() => {
      for (const [name, gradient] of gradients) {
        const parameter = this.parameters.get(name);
        if (!parameter) throw new Error(`Adam.step: gradient for unknown parameter "${name}"`);
        const m = this.first.get(name)!;
        const v = this.second.get(name)!;
        const stepSize = this.lr / correction1;
        let newM: tf.Tensor;
        let newV: tf.Tensor;
        let newParameter: tf.Tensor;
        if (fused) {
          // The same arithmetic in one pass (agents/tf/simd/optim.c).
          const attributes = { keep1: this.beta1, add1: 1 - this.beta1, keep2: this.beta2, add2: 1 - this.beta2, correction2, eps: this.eps, stepSize };
          [newParameter, newM, newV] = tf.engine().runKernel(ADAM_STEP, { p: parameter, g: gradient, m, v }, attributes as never) as unknown as tf.Tensor[];
        } else {
          newM = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
          newV = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
          const denominator = tf.add(tf.div(tf.sqrt(newV), correction2), this.eps);
          newParameter = tf.sub(parameter, tf.mul(tf.div(newM, denominator), stepSize));
        }
        m.assign(newM);
        v.assign(newV);
        parameter.assign(newParameter);
      }
    });
  }

  /** State as named arrays: `m/<param>`, `v/<param>` and `steps` (one value). */
  getState(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = { steps: Float32Array.of(this.steps) };
    for (const [name, variable] of this.first) out[`m/${name}`] = variable.dataSync() as Float32Array;
    for (const [name, variable] of this.second) out[`v/${name}`] = variable.dataSync() as Float32Array;
    return out;
  }

  setState(state: Record<string, Float32Array>, what = 'Adam state'): void {
    const steps = state.steps;
    if (!(steps instanceof Float32Array) || steps.length !== 1 || !Number.isInteger(steps[0]) || steps[0] < 0) {
      throw new Error(`${what}: "steps" must be one non-negative integer, got ${steps?.[0]}`);
    }
    const moments: Record<string, Float32Array> = { ...state };
    delete moments.steps;
    const all = new Map<string, tf.Variable>();
    for (const [name, variable] of this.first) all.set(`m/${name}`, variable);
    for (const [name, variable] of this.second) all.set(`v/${name}`, variable);
    assignNamed(all, moments, what);
    this.steps = steps[0];
  }

  dispose(): void {
    for (const variable of [...this.first.values(), ...this.second.values()]) variable.dispose();
    this.first.clear();
    this.second.clear();
  }
}
