/**
 * The part of a `remote:` env id after the prefix, as the registry hands it over:
 *
 *   tcp://127.0.0.1:5555/procgen/coinrun?num_levels=200&distribution_mode=easy
 *   ipc:///tmp/rad.sock/dm_control/walker-walk?height=84
 *   tcp://127.0.0.1:5556/dmc:walker-walk           (a Node server, `rad serve`)
 *   tcp://127.0.0.1:5556                           (the Node server's own env)
 *
 * An ipc socket path must end in `.sock` or `.ipc` so that the env id after it
 * can be told apart. Query values are JSON where they parse (200, true, [1,2]),
 * strings otherwise (easy).
 */
import { InputError } from '../../common/errors.ts';
import { endpointProblem } from './protocol.ts';

export interface RemoteName {
  endpoint: string;
  envId: string;
  kwargs: Record<string, unknown>;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function parseRemoteName(name: string): RemoteName {
  const [location, query = ''] = name.split('?', 2) as [string, string?];
  let endpoint: string;
  let envId: string;
  const tcp = /^(tcp:\/\/[^/]+)(?:\/(.*))?$/.exec(location);
  const ipc = /^(ipc:\/\/.+?\.(?:sock|ipc))(?:\/(.*))?$/.exec(location);
  if (tcp) [, endpoint, envId = ''] = tcp;
  else if (ipc) [, endpoint, envId = ''] = ipc;
  else {
    throw new InputError(
      `remote env "${name}": expected tcp://host:port/<env id> or ipc:///path.sock/<env id>, ` +
        'e.g. remote:tcp://127.0.0.1:5555/procgen/coinrun?num_levels=200',
    );
  }
  const problem = endpointProblem(endpoint);
  if (problem) throw new InputError(`remote env "${name}": endpoint "${endpoint}": ${problem}`);
  const kwargs: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(query)) kwargs[key] = parseValue(value);
  return { endpoint, envId, kwargs };
}
