/**
 * The interpreter for the tests that run the real Python server
 * (envs/bridge/python/server.py needs pyzmq and numpy), or why there is none.
 * Without one those tests are skipped, naming what to install; under
 * RAD_REQUIRE_BRIDGE_PYTHON=1 (.ci/run sets it, after installing the packages)
 * a missing interpreter fails them instead.
 */
import { findPython } from '../../../envs/bridge/python_server.ts';

export function bridgePython(): { python: string | null; reason: string } {
  try {
    return { python: findPython(), reason: '' };
  } catch (error) {
    if (process.env.RAD_REQUIRE_BRIDGE_PYTHON === '1') throw error;
    const reason = (error as Error).message;
    console.warn(`Python bridge tests skipped: ${reason}`);
    return { python: null, reason };
  }
}
