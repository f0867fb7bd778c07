/**
 * Starting the Python server from Node (tests, benchmarks, a user who wants one
 * command): finds an interpreter that has pyzmq and numpy, spawns
 * envs/bridge/python/server.py and waits for its "ready" line.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SERVER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'python', 'server.py');

let found: string | undefined;

/**
 * `RAD_PYTHON` when set; otherwise the first of /usr/bin/python3, python3,
 * python that imports zmq and numpy (a pyenv python3 first on PATH often lacks them).
 */
export function findPython(): string {
  if (process.env.RAD_PYTHON) return process.env.RAD_PYTHON;
  if (found) return found;
  const candidates = ['/usr/bin/python3', 'python3', 'python'];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import zmq, numpy'], { stdio: 'ignore', timeout: 20_000 });
    if (probe.status === 0) return (found = candidate);
  }
  throw new Error(
    `bridge: none of ${candidates.join(', ')} can import zmq and numpy; install them ` +
      '(Debian: apt-get install python3-zmq python3-numpy; pip: pip install pyzmq numpy) or set RAD_PYTHON to an interpreter that has them',
  );
}

export interface PythonServerOptions {
  /** Endpoint to bind; tcp://127.0.0.1:0 picks a free port (the default). */
  bind?: string;
  /** Folders to import `python/<module>:<Class>` envs from. */
  pythonPath?: string[];
  /** 'builtin' forces the server's own msgpack codec. */
  codec?: 'auto' | 'builtin';
  /** The interpreter; default `findPython()`. */
  python?: string;
  /** How long to wait for the server to bind (default 20 s). */
  readyTimeoutMs?: number;
}

export interface PythonServer {
  /** The bound endpoint (port 0 resolved). */
  endpoint: string;
  process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s) and waits for it to exit. */
  stop(): Promise<void>;
}

export async function startPythonServer(options: PythonServerOptions = {}): Promise<PythonServer> {
  const python = options.python ?? findPython();
  const args = [SERVER_SCRIPT, '--bind', options.bind ?? 'tcp://127.0.0.1:0'];
  for (const folder of options.pythonPath ?? []) args.push('--python-path', folder);
  if (options.codec) args.push('--codec', options.codec);
  const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  // A crash of this process must not leave the server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
  };
  const timeoutMs = options.readyTimeoutMs ?? 20_000;
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`bridge: ${python} ${SERVER_SCRIPT} did not report ready within ${timeoutMs} ms\n${stderr}`)), timeoutMs);
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /rad-bridge ready (\S+)\s/.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      // 'close', not 'exit': by then its stderr, which says why, has been read to the end.
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`bridge: the Python server exited (code ${code}, signal ${signal}) before it was ready\n${stderr}`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`bridge: cannot start ${python}: ${error.message}`));
      });
    });
    child.stdout!.resume();
    return { endpoint, process: child, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
