/**
 * Named trainable tensors. Networks are plain tf ops over these variables (no
 * tf.layers), so weights, optimizer state and target copies are maps from a stable
 * name such as `critic/q1/dense0/kernel` to a tf.Variable, easy to save, copy and
 * average (Polyak).
 */
import * as tf from '@tensorflow/tfjs';

let instanceCounter = 0;

export class Parameters {
  readonly variables = new Map<string, tf.Variable>();
  /** tfjs needs globally unique variable names; this prefix keeps two agents in one process apart. */
  private readonly uniquePrefix = `rad${instanceCounter++}`;

  /** Registers a new variable initialised from `values` (copied). */
  add(name: string, shape: number[], values: Float32Array): tf.Variable {
    if (this.variables.has(name)) throw new Error(`Parameters: "${name}" is already defined`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new Error(`Parameters: "${name}" has shape [${shape}] (${size} values), got ${values.length} values`);
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true, `${this.uniquePrefix}/${name}`));
    this.variables.set(name, variable);
    return variable;
  }

  get(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (!variable) throw new Error(`Parameters: no parameter "${name}"; defined: ${[...this.variables.keys()].join(', ')}`);
    return variable;
  }

  /** Parameters whose name starts with `prefix`, in definition order. */
  select(prefix: string): Map<string, tf.Variable> {
    const selected = new Map<string, tf.Variable>();
    for (const [name, variable] of this.variables) if (name.startsWith(prefix)) selected.set(name, variable);
    return selected;
  }

  getWeights(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const [name, variable] of this.variables) out[name] = variable.dataSync() as Float32Array;
    return out;
  }

  /** Sets every parameter; `weights` must hold exactly these names with matching sizes. */
  setWeights(weights: Record<string, Float32Array>, what = 'weights'): void {
    assignNamed(this.variables, weights, what);
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }
}

/** Assigns named values to named variables, with a clear error on any mismatch. */
export function assignNamed(variables: Map<string, tf.Variable>, values: Record<string, Float32Array>, what: string): void {
  const missing = [...variables.keys()].filter((name) => !(name in values));
  const extra = Object.keys(values).filter((name) => !variables.has(name));
  if (missing.length || extra.length) {
    throw new Error(`${what}: names do not match; missing [${missing.join(', ')}], unexpected [${extra.join(', ')}]`);
  }
  for (const [name, variable] of variables) {
    const value = values[name];
    if (!(value instanceof Float32Array) || value.length !== variable.size) {
      throw new Error(`${what}: "${name}" needs a Float32Array of ${variable.size} values (shape [${variable.shape}]), got ${value?.length ?? typeof value}`);
    }
  }
  for (const [name, variable] of variables) {
    tf.tidy(() => variable.assign(tf.tensor(values[name], variable.shape, 'float32')));
  }
}

/** target <- tau * source + (1 - tau) * target, name by name (Polyak averaging). */
export function softUpdate(target: Map<string, tf.Variable>, source: Map<string, tf.Variable>, tau: number): void {
  tf.tidy(() => {
    for (const [name, variable] of target) {
      const from = source.get(name);
      if (!from) throw new Error(`softUpdate: source has no parameter "${name}"`);
      variable.assign(tf.add(tf.mul(from, tau), tf.mul(variable, 1 - tau)));
    }
  });
}
