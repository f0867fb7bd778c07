/**
 * Writes chosen episodes as videos, as Gymnasium's RecordVideo: the env's
 * rendered frame after the reset and after every step of a recorded episode,
 * one file per episode (`<namePrefix>-episode-<id>.gif` or `.mp4`), written when
 * the episode ends or the env closes. The file appears whole or not at all
 * (common/video.ts writes to a temporary name and renames).
 *
 *   const env = new RecordVideo(await makeEnv('dmc:walker-walk'), { folder: 'videos', episodeTrigger: (id) => id % 10 === 0 });
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NdArray } from '../../common/ndarray.ts';
import { writeVideo } from '../../common/video.ts';
import type { Env, ResetOptions, ResetResult, StepResult } from '../core.ts';
import { Wrapper } from './wrapper.ts';

export interface RecordVideoOptions {
  /** Where the videos go (created if missing). */
  folder: string;
  /** Which episodes to record, by id from 0 (default: Gymnasium's, episodes 0, 1, 8, 27, ..., 729, 1000, then every 1000th). */
  episodeTrigger?: (episodeId: number) => boolean;
  /** Start of each file name (default `rl-video`). */
  namePrefix?: string;
  /** `gif` (default, always available) or `mp4` (needs ffmpeg on PATH). */
  format?: 'gif' | 'mp4';
  /** Frames per second (default: the env's `metadata.renderFps`, else 30). */
  fps?: number;
  /** At most this many frames per video; longer episodes are cut (default: no limit). */
  maxFrames?: number;
}

/** Gymnasium's `capped_cubic_video_schedule`: perfect cubes below 1000, then every 1000th episode. */
export function cappedCubicSchedule(episodeId: number): boolean {
  if (episodeId < 1000) return Math.round(Math.cbrt(episodeId)) ** 3 === episodeId;
  return episodeId % 1000 === 0;
}

export class RecordVideo<Obs, Act> extends Wrapper<Obs, Act> {
  private readonly folder: string;
  private readonly trigger: (episodeId: number) => boolean;
  private readonly namePrefix: string;
  private readonly format: 'gif' | 'mp4';
  private readonly fps: number;
  private readonly maxFrames: number;
  /** Id of the episode the last reset began (-1 before the first). */
  private episodeId = -1;
  private frames: NdArray<'uint8'>[] | null = null;

  constructor(env: Env<Obs, Act>, options: RecordVideoOptions) {
    super(env);
    if (!env.render) throw new Error(`RecordVideo: ${env.constructor.name} cannot render, so there is nothing to record`);
    if (typeof options?.folder !== 'string' || options.folder === '') throw new Error(`RecordVideo: folder must be a non-empty path, got ${JSON.stringify(options?.folder)}`);
    const format = options.format ?? 'gif';
    if (format !== 'gif' && format !== 'mp4') throw new Error(`RecordVideo: format must be "gif" or "mp4", got ${JSON.stringify(format)}`);
    const fps = options.fps ?? Number(env.metadata.renderFps ?? 30);
    if (!(Number.isFinite(fps) && fps > 0)) throw new Error(`RecordVideo: fps must be a positive number, got ${fps}`);
    const maxFrames = options.maxFrames ?? Infinity;
    if (!(maxFrames === Infinity || (Number.isInteger(maxFrames) && maxFrames >= 1))) {
      throw new Error(`RecordVideo: maxFrames must be a positive integer, got ${maxFrames}`);
    }
    const namePrefix = options.namePrefix ?? 'rl-video';
    if (!/^[\w.-]+$/.test(namePrefix)) throw new Error(`RecordVideo: namePrefix must be letters, digits, "_", "-" or ".", got ${JSON.stringify(namePrefix)}`);
    this.folder = options.folder;
    this.trigger = options.episodeTrigger ?? cappedCubicSchedule;
    this.namePrefix = namePrefix;
    this.format = format;
    this.fps = fps;
    this.maxFrames = maxFrames;
    mkdirSync(this.folder, { recursive: true });
  }

  /** The file episode `episodeId` is (or would be) written to. */
  videoPath(episodeId: number): string {
    return join(this.folder, `${this.namePrefix}-episode-${episodeId}.${this.format}`);
  }

  async reset(options?: ResetOptions): Promise<ResetResult<Obs>> {
    await this.finishVideo(); // an episode cut short by a reset still gets its video
    const result = await this.env.reset(options);
    this.episodeId++;
    if (this.trigger(this.episodeId)) {
      this.frames = [];
      await this.capture();
    }
    return result;
  }

  async step(action: Act): Promise<StepResult<Obs>> {
    const result = await this.env.step(action);
    if (this.frames) {
      await this.capture();
      if (result.terminated || result.truncated) await this.finishVideo();
    }
    return result;
  }

  async close(): Promise<void> {
    try {
      await this.finishVideo();
    } finally {
      await this.env.close();
    }
  }

  private async capture(): Promise<void> {
    if (this.frames!.length >= this.maxFrames) return;
    const frame = await this.env.render!();
    // Envs may reuse their frame buffer: keep a copy.
    this.frames!.push({ dtype: 'uint8', shape: [...frame.shape], data: Uint8Array.from(frame.data) });
  }

  private async finishVideo(): Promise<void> {
    const frames = this.frames;
    this.frames = null;
    if (frames && frames.length > 0) await writeVideo(this.videoPath(this.episodeId), frames, this.fps);
  }
}
