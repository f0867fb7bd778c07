/**
 * Videos of RGB frames: GIF through gifenc (always available), MP4 through an
 * ffmpeg found on PATH (a clear error names what is missing otherwise). The
 * container follows the file extension. Written to a temporary file and
 * renamed, so a killed run never leaves half a video.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, extname, join } from 'node:path';
import { InputError } from './errors.ts';
import { checkOutputFolder } from './output.ts';
import type { NdArray } from './ndarray.ts';

interface GifEncoder {
  writeFrame(index: Uint8Array, width: number, height: number, options: { palette: number[][]; delay?: number; repeat?: number }): void;
  finish(): void;
  bytes(): Uint8Array;
}

interface Gifenc {
  GIFEncoder(): GifEncoder;
  quantize(rgba: Uint8Array, maxColors: number, options?: { format?: string }): number[][];
  applyPalette(rgba: Uint8Array, palette: number[][], format?: string): Uint8Array;
}

// gifenc ships no type declarations; its CommonJS build is loaded and typed here.
const gifenc = createRequire(import.meta.url)('gifenc') as Gifenc;

function checkFrames(frames: NdArray<'uint8'>[], fps: number): [number, number] {
  if (!Array.isArray(frames) || frames.length === 0) throw new Error('writeVideo: frames must be a non-empty array of (H, W, 3) uint8 images');
  if (!(Number.isFinite(fps) && fps > 0 && fps <= 1000)) throw new Error(`writeVideo: fps must be a number in (0, 1000], got ${fps}`);
  const [height, width] = frames[0].shape;
  frames.forEach((frame, i) => {
    if (frame.dtype !== 'uint8' || frame.shape.length !== 3 || frame.shape[2] !== 3 || frame.shape[0] !== height || frame.shape[1] !== width) {
      throw new Error(`writeVideo: frame ${i} is ${frame.dtype} [${frame.shape}], expected uint8 [${height}, ${width}, 3] like frame 0`);
    }
  });
  return [height, width];
}

/** GIF bytes: one palette of up to 256 colours per frame, delay rounded to GIF's 10 ms ticks. */
export function encodeGif(frames: NdArray<'uint8'>[], fps: number): Uint8Array {
  const [height, width] = checkFrames(frames, fps);
  const encoder = gifenc.GIFEncoder();
  const rgba = new Uint8Array(height * width * 4);
  const delay = Math.max(10, Math.round(100 / fps) * 10);
  for (const frame of frames) {
    for (let i = 0, j = 0; i < frame.data.length; i += 3, j += 4) {
      rgba[j] = frame.data[i];
      rgba[j + 1] = frame.data[i + 1];
      rgba[j + 2] = frame.data[i + 2];
      rgba[j + 3] = 255;
    }
    const palette = gifenc.quantize(rgba, 256);
    encoder.writeFrame(gifenc.applyPalette(rgba, palette), width, height, { palette, delay, repeat: 0 });
  }
  encoder.finish();
  return encoder.bytes();
}

/** The path of an executable named `name` on PATH, or null. */
export function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

async function writeMp4(path: string, frames: NdArray<'uint8'>[], fps: number): Promise<void> {
  const [height, width] = checkFrames(frames, fps);
  const ffmpeg = findOnPath('ffmpeg');
  if (!ffmpeg) throw new Error(`writeVideo: ${path}: MP4 needs ffmpeg on PATH and none was found; install ffmpeg or write a .gif`);
  const temporary = `${path}.tmp-${process.pid}.mp4`;
  // H.264 in yuv420p needs even sizes: pad by one pixel where odd.
  const args = ['-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', '-',
    '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', temporary];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', (error) => reject(new Error(`writeVideo: ${path}: cannot run ffmpeg: ${error.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`writeVideo: ${path}: ffmpeg exited with ${code}: ${stderr.trim()}`))));
    child.stdin.on('error', () => {}); // a failing ffmpeg closes its input; the exit code reports why
    for (const frame of frames) child.stdin.write(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength));
    child.stdin.end();
  }).catch((error) => {
    rmSync(temporary, { force: true });
    throw error;
  });
  renameSync(temporary, path);
}

/**
 * Throws an InputError unless `path` can take a video here: a .gif, or an .mp4
 * with ffmpeg on PATH, in a writable folder. Commands call it before the work
 * whose frames it will hold.
 */
export function checkVideoPath(path: string): void {
  const extension = extname(path).toLowerCase();
  if (extension !== '.gif' && extension !== '.mp4') {
    throw new InputError(`video file ${path}: unknown extension "${extension}"; expected .gif or .mp4`);
  }
  if (extension === '.mp4' && !findOnPath('ffmpeg')) {
    throw new InputError(`video file ${path}: MP4 needs ffmpeg on PATH and none was found; install ffmpeg or write a .gif`);
  }
  checkOutputFolder(path, 'video file');
}

/** Writes `frames` ((H, W, 3) uint8, all the same size) as a .gif or .mp4 at `fps`. */
export async function writeVideo(path: string, frames: NdArray<'uint8'>[], fps: number): Promise<void> {
  checkVideoPath(path);
  if (extname(path).toLowerCase() === '.gif') {
    const bytes = encodeGif(frames, fps);
    const temporary = `${path}.tmp-${process.pid}`;
    writeFileSync(temporary, bytes);
    renameSync(temporary, path);
  } else {
    await writeMp4(path, frames, fps);
  }
}
