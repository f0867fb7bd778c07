/**
 * Replay buffer that stores every frame once. Stacked observations and next
 * observations are index arithmetic over per-episode frame chains, never copies.
 *
 * How the training loop drives it (one call per env event, per env `stream`):
 *   const replay = new ReplayBuffer({ capacity: 100_000, frameShape: [100, 100, 3], frameStack: 3, actionSize: 1 });
 *   replay.addFirst(frame)                                            // after reset
 *   replay.add(action, reward, nextFrame, terminated, truncated)      // after each step
 *   const batch = replay.sample(128, rng)                             // ReplayBatch
 * `frame` is one frame [H, W, C] or the frame-stacked observation [H, W, C x k]
 * (its newest frame, the last C channels, is stored). States are 1-D float32
 * frames (`frameDtype: 'float32'`, usually `frameStack: 1`). Actions are stored as
 * float32 vectors of `actionSize` (a discrete action is one integer value).
 * After `terminated` or `truncated` the stream needs `addFirst` again.
 *
 * Layout: a ring of `capacity` frame slots. A slot holds a frame and, unless it
 * is an episode's first frame, the transition that ended in it (action, reward,
 * terminated) and a link to the previous frame of its episode. The stack of k
 * frames ending at a slot follows those links, repeating the first frame at an
 * episode start as a frame stack does at reset (oldest frame first, concatenated
 * on the last axis). A transition can be sampled while all frames it needs are
 * still in the ring. Capacity counts frames: transitions plus one per episode.
 *
 * Sampling returns `notDone` = 0 only where the episode terminated: a truncated
 * (time-limit) transition bootstraps from its next observation.
 *
 * n-step returns (`sample(N, rng, { steps: n, gamma })`, as Rainbow and DrQ-v2
 * use them): the window starts at a uniformly drawn transition and follows its
 * episode forward (links to the next frame) for up to n transitions; it ends
 * early where the episode terminates, is truncated or has not gone on yet. The
 * reward is sum_i gamma^i r_i over the window, `nextObs` the observation the
 * window ends in and `steps` its length, so the target bootstraps with
 * gamma^steps. As in those agents, nothing corrects for the actions in the
 * window having come from an older policy.
 */
import { closeSync, existsSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { InputError } from '../common/errors.ts';
import type { NdArray } from '../common/ndarray.ts';
import { sizeOf } from '../common/ndarray.ts';
import type { Random } from '../common/random.ts';

export interface ReplayBatch {
  /** Stacked observations [N, ...frame shape with last axis x k]. */
  obs: NdArray<'uint8'> | NdArray<'float32'>;
  nextObs: NdArray<'uint8'> | NdArray<'float32'>;
  /** [N, actionSize]. */
  actions: NdArray<'float32'>;
  rewards: Float32Array;
  /** 0 where the transition terminated the episode, else 1 (bootstrap). */
  notDone: Float32Array;
  /**
   * Transitions from `obs` to `nextObs` (n-step returns: `rewards` then hold the
   * discounted sums, and the target discounts by gamma^steps); absent: 1 each.
   */
  steps?: Float32Array;
}

/** n-step returns for `ReplayBuffer.sample`. */
export interface ReturnOptions {
  /** Transitions per window, at most (1: one-step transitions). */
  steps: number;
  /** Discount of the rewards summed over a window. */
  gamma: number;
}

/** What `sample` does without `returns`: one transition per window (gamma is then never used). */
const ONE_STEP: ReturnOptions = { steps: 1, gamma: 1 };

export interface ReplayOptions {
  /** Frames stored (transitions plus one first frame per episode). */
  capacity: number;
  /** Shape of one frame: [H, W, C] pixels or [size] states. */
  frameShape: number[];
  /** 'uint8' for pixels, 'float32' for states. */
  frameDtype?: 'uint8' | 'float32';
  /** Frames per observation (k). */
  frameStack?: number;
  /** Values per action. */
  actionSize: number;
}

const magic = 'RAD-REPLAY';
export const replayFormatVersion = 1;
/** Frames per storage chunk are chosen so that a chunk holds at most this many bytes. */
const chunkBytes = 64 * 1024 * 1024;
/** Bytes of per-slot bookkeeping: previous and next links (8 each), reward (4), terminated (1), action (4 per value). */
const slotBookkeeping = (actionSize: number) => 16 + 4 + 1 + 4 * actionSize;

type FrameArray = Uint8Array | Float32Array;

export class ReplayBuffer {
  readonly capacity: number;
  readonly frameShape: number[];
  readonly frameDtype: 'uint8' | 'float32';
  readonly frameStack: number;
  readonly actionSize: number;
  private readonly frameSize: number;
  private readonly framesPerChunk: number;
  private readonly chunks: FrameArray[] = [];
  private readonly previous: Float64Array;
  /** Per slot, the absolute index of the next frame of its episode, or -1 (none yet, or the episode ended there). Not saved: `load` rebuilds it from `previous`. */
  private readonly following: Float64Array;
  private readonly actions: Float32Array;
  private readonly rewards: Float32Array;
  private readonly terminated: Uint8Array;
  /** Frames ever added; the absolute index of a frame is its position in this count. */
  private total = 0;
  private transitions = 0;
  /** Per stream: absolute index of its latest frame, or -1 when it needs `addFirst`. */
  private readonly streams = new Map<number, number>();

  constructor(options: ReplayOptions) {
    const { capacity, frameShape, actionSize } = options;
    this.frameDtype = options.frameDtype ?? 'uint8';
    this.frameStack = options.frameStack ?? 1;
    if (!Number.isInteger(capacity) || capacity < 2) throw new Error(`ReplayBuffer: capacity must be an integer >= 2, got ${capacity}`);
    if (!Array.isArray(frameShape) || frameShape.length < 1 || frameShape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`ReplayBuffer: frameShape must be positive integers, got [${frameShape}]`);
    }
    if (this.frameDtype !== 'uint8' && this.frameDtype !== 'float32') throw new Error(`ReplayBuffer: frameDtype must be 'uint8' or 'float32', got ${this.frameDtype}`);
    if (!Number.isInteger(this.frameStack) || this.frameStack < 1) throw new Error(`ReplayBuffer: frameStack must be a positive integer, got ${this.frameStack}`);
    if (!Number.isInteger(actionSize) || actionSize < 1) throw new Error(`ReplayBuffer: actionSize must be a positive integer, got ${actionSize}`);
    this.capacity = capacity;
    this.frameShape = [...frameShape];
    this.actionSize = actionSize;
    this.frameSize = sizeOf(frameShape);
    const bytesPerFrame = this.frameSize * (this.frameDtype === 'uint8' ? 1 : 4);
    this.framesPerChunk = Math.max(1, Math.min(capacity, Math.floor(chunkBytes / bytesPerFrame)));
    this.previous = new Float64Array(capacity);
    this.following = new Float64Array(capacity).fill(-1);
    this.actions = new Float32Array(capacity * actionSize);
    this.rewards = new Float32Array(capacity);
    this.terminated = new Uint8Array(capacity);
  }

  /** Transitions that can currently be sampled or are pending their history (stored non-first slots). */
  get size(): number {
    return this.transitions;
  }

  /** Shape of one stacked observation. */
  get observationShape(): number[] {
    const shape = [...this.frameShape];
    shape[shape.length - 1] *= this.frameStack;
    return shape;
  }

  /** Bytes held now: allocated frame chunks plus bookkeeping. */
  get bytes(): number {
    const frameBytes = this.chunks.reduce((total, chunk) => total + chunk.byteLength, 0);
    return frameBytes + this.capacity * slotBookkeeping(this.actionSize);
  }

  /** Bytes a full buffer of these dimensions holds (what `bytes` reaches at capacity). */
  static bytesAtCapacity(options: ReplayOptions): number {
    const bytesPerValue = (options.frameDtype ?? 'uint8') === 'uint8' ? 1 : 4;
    return options.capacity * (sizeOf(options.frameShape) * bytesPerValue + slotBookkeeping(options.actionSize));
  }

  /** Stores an episode's first observation (after reset). */
  addFirst(frame: NdArray, stream = 0): void {
    const index = this.store(frame, -1, 'addFirst');
    this.streams.set(stream, index);
  }

  /** Stores one step: the action taken, its reward and the observation it led to. */
  add(action: NdArray | ArrayLike<number> | number, reward: number, nextFrame: NdArray, terminated: boolean, truncated: boolean, stream = 0): void {
    const last = this.streams.get(stream);
    if (last === undefined || last < 0) throw new Error(`ReplayBuffer.add: stream ${stream} has no open episode; call addFirst(frame) after reset`);
    if (!Number.isFinite(reward)) throw new Error(`ReplayBuffer.add: reward must be a finite number, got ${reward}`);
    const values = typeof action === 'number' ? [action] : 'data' in action ? (action.data as ArrayLike<number>) : action;
    if (values.length !== this.actionSize) throw new Error(`ReplayBuffer.add: action has ${values.length} values, expected actionSize ${this.actionSize}`);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(Number(values[i]))) throw new Error(`ReplayBuffer.add: action[${i}] = ${values[i]} is not a finite number`);
    }
    const index = this.store(nextFrame, last, 'add');
    const slot = index % this.capacity;
    if (last >= this.total - this.capacity) this.following[last % this.capacity] = index;
    for (let i = 0; i < this.actionSize; i++) this.actions[slot * this.actionSize + i] = Number(values[i]);
    this.rewards[slot] = reward;
    this.terminated[slot] = terminated ? 1 : 0;
    this.transitions += 1;
    this.streams.set(stream, terminated || truncated ? -1 : index);
  }

  private store(frame: NdArray, previous: number, caller: string): number {
    const data = this.frameData(frame, caller);
    const index = this.total;
    const slot = index % this.capacity;
    if (index >= this.capacity && this.previous[slot] >= 0) this.transitions -= 1; // overwrites a transition
    const chunk = Math.floor(slot / this.framesPerChunk);
    while (this.chunks.length <= chunk) {
      const frames = Math.min(this.framesPerChunk, this.capacity - this.chunks.length * this.framesPerChunk);
      this.chunks.push(this.frameDtype === 'uint8' ? new Uint8Array(frames * this.frameSize) : new Float32Array(frames * this.frameSize));
    }
    this.chunks[chunk].set(data, (slot % this.framesPerChunk) * this.frameSize);
    this.previous[slot] = previous;
    this.following[slot] = -1;
    this.total += 1;
    return index;
  }

  /** The newest frame of `frame`, checked against the buffer's frame shape and dtype. */
  private frameData(frame: NdArray, caller: string): FrameArray {
    if (!frame || typeof frame !== 'object' || !('data' in frame)) throw new Error(`ReplayBuffer.${caller}: frame must be an NdArray`);
    if (frame.dtype !== this.frameDtype) throw new Error(`ReplayBuffer.${caller}: frame dtype must be ${this.frameDtype}, got ${frame.dtype}`);
    const same = (shape: number[]) => frame.shape.length === shape.length && frame.shape.every((d, i) => d === shape[i]);
    if (same(this.frameShape)) return frame.data as FrameArray;
    if (this.frameStack > 1 && same(this.observationShape)) {
      // A frame-stacked observation: keep its newest frame, the last C values of each position.
      const channels = this.frameShape[this.frameShape.length - 1];
      const positions = this.frameSize / channels;
      const stackedChannels = channels * this.frameStack;
      const out = this.frameDtype === 'uint8' ? new Uint8Array(this.frameSize) : new Float32Array(this.frameSize);
      const source = frame.data as FrameArray;
      for (let p = 0; p < positions; p++) {
        const from = p * stackedChannels + stackedChannels - channels;
        for (let c = 0; c < channels; c++) out[p * channels + c] = source[from + c];
      }
      return out;
    }
    throw new Error(`ReplayBuffer.${caller}: frame shape must be [${this.frameShape}] (one frame) or [${this.observationShape}] (stacked), got [${frame.shape}]`);
  }

  private frameAt(index: number): FrameArray {
    const slot = index % this.capacity;
    const chunk = this.chunks[Math.floor(slot / this.framesPerChunk)];
    const offset = (slot % this.framesPerChunk) * this.frameSize;
    return chunk.subarray(offset, offset + this.frameSize);
  }

  /**
   * The k frame indices (oldest first) of the stack ending at absolute index
   * `newest`, or null if one of them has been overwritten.
   */
  private stack(newest: number, out: number[]): boolean {
    const oldest = this.total - this.capacity;
    let index = newest;
    for (let i = this.frameStack - 1; i >= 0; i--) {
      if (index < oldest) return false;
      out[i] = index;
      const previous = this.previous[index % this.capacity];
      if (previous >= 0) index = previous; // else: an episode start repeats its first frame
    }
    return true;
  }

  /**
   * A uniform sample of `batchSize` transitions (with replacement); with
   * `returns`, of n-step windows starting at uniformly drawn transitions.
   */
  sample(batchSize: number, rng: Random, returns?: ReturnOptions): ReplayBatch {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`ReplayBuffer.sample: batchSize must be a positive integer, got ${batchSize}`);
    if (returns !== undefined) {
      if (!Number.isInteger(returns.steps) || returns.steps < 1) throw new Error(`ReplayBuffer.sample: returns.steps must be a positive integer, got ${returns.steps}`);
      if (!(returns.gamma >= 0 && returns.gamma <= 1)) throw new Error(`ReplayBuffer.sample: returns.gamma must be a number in [0, 1], got ${returns.gamma}`);
    }
    if (this.transitions === 0) throw new Error('ReplayBuffer.sample: the buffer holds no transitions yet');
    const stored = Math.min(this.total, this.capacity);
    const start = this.total - stored;
    const shape = this.observationShape;
    const make = () => (this.frameDtype === 'uint8' ? new Uint8Array(batchSize * this.frameSize * this.frameStack) : new Float32Array(batchSize * this.frameSize * this.frameStack));
    const obs = make();
    const nextObs = make();
    const actions = new Float32Array(batchSize * this.actionSize);
    const rewards = new Float32Array(batchSize);
    const notDone = new Float32Array(batchSize);
    const steps = returns === undefined ? undefined : new Float32Array(batchSize);
    const obsFrames = new Array<number>(this.frameStack);
    const nextFrames = new Array<number>(this.frameStack);
    let rejections = 0;
    for (let n = 0; n < batchSize; ) {
      const index = start + rng.int(stored);
      const slot = index % this.capacity;
      const previous = this.previous[slot];
      if (previous < 0 || !this.stack(previous, obsFrames) || !this.stack(index, nextFrames)) {
        if (++rejections > 1000 * batchSize) throw new Error('ReplayBuffer.sample: no transition with its whole frame history is stored');
        continue;
      }
      actions.set(this.actions.subarray(slot * this.actionSize, (slot + 1) * this.actionSize), n * this.actionSize);
      const last = this.window(index, returns ?? ONE_STEP, rewards, steps, n);
      // A longer window ends at a newer frame than `index`: its history is stored too.
      if (last !== index) this.stack(last, nextFrames);
      this.writeStack(obsFrames, obs, n);
      this.writeStack(nextFrames, nextObs, n);
      notDone[n] = this.terminated[last % this.capacity] ? 0 : 1;
      n++;
    }
    return {
      obs: { dtype: this.frameDtype, shape: [batchSize, ...shape], data: obs } as ReplayBatch['obs'],
      nextObs: { dtype: this.frameDtype, shape: [batchSize, ...shape], data: nextObs } as ReplayBatch['nextObs'],
      actions: { dtype: 'float32', shape: [batchSize, this.actionSize], data: actions },
      rewards,
      notDone,
      ...(steps && { steps }),
    };
  }

  /**
   * Follows the episode from the transition ending at frame `first` for up to
   * `returns.steps` transitions: writes the discounted reward sum and the
   * window's length (when `steps` is given) at position n, and returns the window's last frame.
   */
  private window(first: number, returns: ReturnOptions, rewards: Float32Array, steps: Float32Array | undefined, n: number): number {
    let last = first;
    let sum = this.rewards[first % this.capacity];
    let length = 1;
    // An episode's last frame (terminated or truncated) has no next frame: the next episode starts with `addFirst`.
    while (length < returns.steps) {
      const next = this.following[last % this.capacity];
      if (next < 0) break;
      last = next;
      sum += returns.gamma ** length * this.rewards[last % this.capacity];
      length++;
    }
    rewards[n] = sum;
    if (steps !== undefined) steps[n] = length;
    return last;
  }

  /** Interleaves k frames into one observation: channel f*C + c holds frame f's channel c. */
  private writeStack(frames: number[], out: FrameArray, n: number): void {
    const k = this.frameStack;
    const base = n * this.frameSize * k;
    if (k === 1) {
      out.set(this.frameAt(frames[0]), base);
      return;
    }
    const channels = this.frameShape[this.frameShape.length - 1];
    const positions = this.frameSize / channels;
    const stride = channels * k;
    for (let f = 0; f < k; f++) {
      const frame = this.frameAt(frames[f]);
      let to = base + f * channels;
      if (channels === 3) {
        // RGB, the common case, unrolled (about 3x faster than the general loop).
        for (let from = 0; from < frame.length; from += 3, to += stride) {
          out[to] = frame[from];
          out[to + 1] = frame[from + 1];
          out[to + 2] = frame[from + 2];
        }
        continue;
      }
      let from = 0;
      for (let p = 0; p < positions; p++, to += stride) {
        for (let c = 0; c < channels; c++) out[to + c] = frame[from++];
      }
    }
  }

  /** Rebuilds the links to each frame's successor from the links to its predecessor (after `load`). */
  private linkForward(): void {
    const oldest = Math.max(0, this.total - this.capacity);
    this.following.fill(-1);
    for (let index = oldest; index < this.total; index++) {
      const previous = this.previous[index % this.capacity];
      if (previous >= oldest) this.following[previous % this.capacity] = index;
    }
  }

  /** Writes the buffer to `path` (through a temporary file, so a crash leaves no half-written file). */
  save(path: string): void {
    const stored = Math.min(this.total, this.capacity);
    const header = {
      capacity: this.capacity,
      frameShape: this.frameShape,
      frameDtype: this.frameDtype,
      frameStack: this.frameStack,
      actionSize: this.actionSize,
      total: this.total,
      transitions: this.transitions,
      streams: [...this.streams],
      stored,
    };
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const prefix = Buffer.alloc(magic.length + 8);
    prefix.write(magic, 0, 'ascii');
    prefix.writeUInt32LE(replayFormatVersion, magic.length);
    prefix.writeUInt32LE(headerBytes.length, magic.length + 4);
    const temporary = `${path}.tmp-${process.pid}`;
    const fd = openSync(temporary, 'w');
    try {
      const write = (view: ArrayBufferView) => {
        const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset, Math.min(bytes.length - offset, 1 << 30));
      };
      write(prefix);
      write(headerBytes);
      for (const array of [this.previous, this.actions, this.rewards, this.terminated]) write(array);
      const valuesStored = stored * this.frameSize;
      for (const chunk of this.chunks) {
        const written = this.chunks.indexOf(chunk) * this.framesPerChunk * this.frameSize;
        if (written >= valuesStored) break;
        write(chunk.subarray(0, Math.min(chunk.length, valuesStored - written)));
      }
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  }

  /** Reads a buffer written by `save`; a file that is not one (missing, damaged, another version) is an InputError. */
  static load(path: string): ReplayBuffer {
    if (!existsSync(path)) throw new InputError(`ReplayBuffer.load: no file at ${path}`);
    const fd = openSync(path, 'r');
    try {
      const read = (view: ArrayBufferView, what: string) => {
        const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        for (let offset = 0; offset < bytes.length; ) {
          const count = readSync(fd, bytes, offset, Math.min(bytes.length - offset, 1 << 30), null);
          if (count === 0) throw new InputError(`ReplayBuffer.load: ${path} ends early while reading ${what} (truncated file?)`);
          offset += count;
        }
      };
      const prefix = Buffer.alloc(magic.length + 8);
      const got = readSync(fd, prefix, 0, prefix.length, null);
      if (got < prefix.length || prefix.toString('ascii', 0, magic.length) !== magic) {
        throw new InputError(`ReplayBuffer.load: ${path} is not a replay buffer file (no "${magic}" header)`);
      }
      const version = prefix.readUInt32LE(magic.length);
      if (version !== replayFormatVersion) {
        throw new InputError(`ReplayBuffer.load: ${path} has format version ${version}; this code reads version ${replayFormatVersion}`);
      }
      const headerBytes = Buffer.alloc(prefix.readUInt32LE(magic.length + 4));
      read(headerBytes, 'the header');
      let header;
      try {
        header = JSON.parse(headerBytes.toString('utf8'));
      } catch (error) {
        throw new InputError(`ReplayBuffer.load: ${path} has a header that is not valid JSON (${(error as Error).message}); the file is damaged`);
      }
      const replay = new ReplayBuffer(header);
      for (const [name, array] of Object.entries({ previous: replay.previous, actions: replay.actions, rewards: replay.rewards, terminated: replay.terminated })) {
        read(array, name);
      }
      replay.total = header.total;
      replay.transitions = header.transitions;
      replay.linkForward();
      for (const [stream, last] of header.streams as [number, number][]) replay.streams.set(stream, last);
      let remaining = header.stored as number;
      for (let slot = 0; remaining > 0; slot += replay.framesPerChunk) {
        const frames = Math.min(replay.framesPerChunk, replay.capacity - slot);
        const chunk = replay.frameDtype === 'uint8' ? new Uint8Array(frames * replay.frameSize) : new Float32Array(frames * replay.frameSize);
        const filled = Math.min(frames, remaining);
        read(chunk.subarray(0, filled * replay.frameSize), 'frames');
        replay.chunks.push(chunk);
        remaining -= filled;
      }
      const extra = Buffer.alloc(1);
      if (readSync(fd, extra, 0, 1, null) !== 0) throw new InputError(`ReplayBuffer.load: ${path} has data after the frames (corrupt file?)`);
      return replay;
    } finally {
      closeSync(fd);
    }
  }
}
