/**
 * A peer process for bench/bridge.ts, so that the Node servers run in their own
 * process as `rad serve` does (not on the benchmark client's thread):
 *
 *   node --import ./bin/typescript.mjs bench/_bridge_peer.ts node <bind>
 *     the bridge's Node server, hosting the test pixel env
 *   node --import ./bin/typescript.mjs bench/_bridge_peer.ts raw <bind>
 *     raw ZeroMQ: answers every request with a header-sized frame and 84x84x3
 *     bytes per copy, and does nothing else
 *
 * Prints `rad-bridge ready <endpoint>` once bound, as the Python server does.
 */
import { Router } from 'zeromq';
import { serveEnvs } from '../envs/bridge/node_server.ts';
import { PixelEnv } from '../test/envs/bridge/pixel_env.ts';

const FRAME = 84 * 84 * 3;
const [kind, bind] = process.argv.slice(2);
if ((kind !== 'node' && kind !== 'raw') || !bind) {
  console.error('usage: _bridge_peer.ts node|raw <bind endpoint>');
  process.exit(2);
}

if (kind === 'node') {
  const server = await serveEnvs({
    bind,
    makeEnv: (_id, kwargs) => new PixelEnv({ size: kwargs.size as number, episodeLength: kwargs.episode_length as number }),
  });
  console.log(`rad-bridge ready ${server.endpoint}`);
} else {
  const router = new Router({ linger: 0 });
  await router.bind(bind);
  console.log(`rad-bridge ready ${router.lastEndpoint}`);
  const header = new Uint8Array(120);
  const frames = new Map<number, Uint8Array>();
  for await (const [identity, , action] of router) {
    const copies = action.byteLength / 8;
    if (!frames.has(copies)) frames.set(copies, new Uint8Array(FRAME * copies));
    await router.send([identity, header, frames.get(copies)!]);
  }
}
