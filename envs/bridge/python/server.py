#!/usr/bin/env python3
"""Serves gymnasium, dm_control, procgen and plain Python envs to rad over ZeroMQ.

    python3 envs/bridge/python/server.py --bind tcp://127.0.0.1:5555

then, on the rad side, an id such as
`remote:tcp://127.0.0.1:5555/procgen/coinrun?num_levels=200&distribution_mode=easy`.
The protocol is envs/bridge/PROTOCOL.md. Needs pyzmq and numpy, plus whichever
env library an id asks for. One ROUTER socket serves any number of clients, one
request at a time; a bad request gets an error reply and the server keeps serving.
"""

import argparse
import os
import signal
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import numpy as np
    import zmq
except ImportError as missing:
    sys.exit(f'server.py: {missing}. The bridge server needs pyzmq and numpy in this interpreter ({sys.executable}): '
             'Debian: apt-get install python3-zmq python3-numpy; pip: pip install pyzmq numpy')

import wire  # noqa: E402
from adapters import make_vector  # noqa: E402
from vector import AUTORESET_MODES, ActionCheck, describe_space  # noqa: E402

PROTOCOL_VERSION = 1
COMMANDS = ('hello', 'make', 'spaces', 'reset', 'step', 'render', 'close')


class RequestError(Exception):
    """A request this server refuses; its message goes back in the error reply."""


def field(header, name, kinds, required=True, default=None):
    if header.get(name) is None:
        if required:
            raise RequestError(f'missing field "{name}"')
        return default
    value = header[name]
    if not isinstance(value, kinds) or (isinstance(value, bool) and kinds is not bool):
        raise RequestError(f'field "{name}" must be {kinds.__name__}, got {value!r}')
    return value


class Server:
    def __init__(self, verbose=False):
        self.vectors = {}  # handle -> (vector, env id, action check, spaces reply)
        self.next_handle = 1
        self.verbose = verbose
        # Tells a reconnecting client whether its old env handles belong to this process.
        self.instance = os.urandom(8).hex()
        self.commands = {command: getattr(self, 'command_' + command) for command in COMMANDS}

    def handle(self, parts):
        """One request's frames to the reply header (never raises)."""
        request_id = None
        command = None
        try:
            header = wire.decode_message(parts)
            request_id = header.get('id')
            command = header.get('cmd')
            version = header.get('v')
            if version != PROTOCOL_VERSION:
                raise RequestError(f'protocol version {version!r} is not spoken here; this server speaks version {PROTOCOL_VERSION}')
            run = self.commands.get(command) if isinstance(command, str) else None
            if run is None:
                raise RequestError(f'unknown command {command!r}; expected one of {", ".join(COMMANDS)}')
            reply = run(header)
            reply.update(v=PROTOCOL_VERSION, id=request_id, ok=True)
            return reply
        except Exception as error:  # every failure becomes an error reply
            if self.verbose or not isinstance(error, (RequestError, wire.ProtocolError)):
                traceback.print_exc(file=sys.stderr)
            text = str(error) if isinstance(error, (RequestError, wire.ProtocolError)) else f'{type(error).__name__}: {error}'
            reply = {'v': PROTOCOL_VERSION, 'id': request_id if isinstance(request_id, (int, str)) else None, 'ok': False, 'error': text}
            if isinstance(command, str):
                reply['cmd'] = command
            return reply

    def vector(self, header):
        handle = field(header, 'env', int)
        if handle not in self.vectors:
            raise RequestError(f'unknown env handle {handle}; it was closed or made by an earlier server (make it again)')
        return self.vectors[handle]

    def command_hello(self, header):
        return {'server': 'python', 'protocol': PROTOCOL_VERSION, 'codec': wire.CODEC, 'instance': self.instance,
                'libraries': ['gymnasium', 'dm_control', 'procgen', 'python']}

    def command_make(self, header):
        env_id = field(header, 'env_id', str)
        kwargs = field(header, 'kwargs', dict, required=False, default={})
        num_envs = field(header, 'num_envs', int, required=False, default=1)
        if num_envs < 1:
            raise RequestError(f'field "num_envs" must be a positive integer, got {num_envs}')
        mode = field(header, 'autoreset_mode', str, required=False)
        if mode is not None and mode not in AUTORESET_MODES:
            raise RequestError(f'field "autoreset_mode" must be one of {", ".join(AUTORESET_MODES)}, got {mode!r}')
        vector = make_vector(env_id, kwargs, num_envs, mode)
        try:
            spaces = {
                'num_envs': vector.num_envs,
                'autoreset_mode': vector.autoreset_mode,
                'observation_space': describe_space(vector.observation_space, 'observation'),
                'action_space': describe_space(vector.action_space, 'action', action=True),
                'metadata': {k: v for k, v in vector.metadata.items() if isinstance(v, (int, float, str, bool, list))},
            }
        except Exception:
            vector.close()
            raise
        handle = self.next_handle
        self.next_handle += 1
        self.vectors[handle] = (vector, env_id, ActionCheck(spaces['action_space'], vector.num_envs), spaces)
        return dict(spaces, env=handle, instance=self.instance)

    def command_spaces(self, header):
        return dict(self.vector(header)[3])

    def command_reset(self, header):
        vector = self.vector(header)[0]
        seeds = header.get('seeds')
        if seeds is None:
            seeds = [None] * vector.num_envs
        elif not isinstance(seeds, list) or len(seeds) != vector.num_envs or not all(
                s is None or (isinstance(s, int) and not isinstance(s, bool) and s >= 0) for s in seeds):
            raise RequestError(f'field "seeds" must be a list of {vector.num_envs} non-negative integers (or null), got {seeds!r}')
        options = field(header, 'options', dict, required=False)
        obs, infos = vector.reset(seeds, options)
        return {'obs': obs, 'infos': infos}

    def command_step(self, header):
        # The hot path: an int handle is looked up directly (not a bool: True == 1); anything else gets vector()'s error.
        handle = header.get('env')
        vector, _, check, _ = (type(handle) is int and self.vectors.get(handle)) or self.vector(header)
        obs, rewards, terminated, truncated, infos = vector.step(check(header.get('actions')))
        # The vectors return lists of Python floats and bools (vector.py, adapters.py).
        return {'obs': obs, 'rewards': rewards, 'terminated': terminated, 'truncated': truncated, 'infos': infos}

    def command_render(self, header):
        vector = self.vector(header)[0]
        index = field(header, 'index', int, required=False, default=0)
        if not 0 <= index < vector.num_envs:
            raise RequestError(f'field "index" must be in [0, {vector.num_envs}), got {index}')
        frame = vector.render(index)
        if frame is None:
            raise RequestError('the env returned no frame; was it made with render_mode="rgb_array"?')
        return {'frame': np.asarray(frame)}

    def command_close(self, header):
        handle = field(header, 'env', int)
        entry = self.vectors.pop(handle, None)
        if entry is not None:
            entry[0].close()
        return {}

    def close(self):
        for vector, *_ in self.vectors.values():
            try:
                vector.close()
            except Exception:
                traceback.print_exc(file=sys.stderr)
        self.vectors.clear()


def bind_endpoint(parser, socket, endpoint):
    """Binds, or exits with a usage error that names the endpoint and what was expected."""
    expected = 'expected tcp://host:port (port 0: a free one) or ipc:///path'
    port = endpoint.rpartition(':')[2] if endpoint.startswith('tcp://') else None
    if port is not None and port != '*' and not (port.isdigit() and int(port) <= 65535):
        parser.error(f'--bind {endpoint}: the port must be 0 to 65535 (or *); {expected}')
    try:
        socket.bind(endpoint)
    except zmq.ZMQError as error:
        parser.error(f'--bind {endpoint}: cannot bind ({error}); {expected}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--bind', default='tcp://127.0.0.1:5555', help='ZeroMQ endpoint (tcp://host:port or ipc://path); port 0 picks a free port')
    parser.add_argument('--python-path', action='append', default=[], help='folder to import python/<module>:<Class> envs from (repeatable)')
    parser.add_argument('--codec', choices=('auto', 'builtin'), default='auto', help='msgpack codec: the msgpack package when importable, or the built-in one')
    parser.add_argument('--verbose', action='store_true', help='print a traceback for every error reply')
    args = parser.parse_args(argv)
    for folder in args.python_path:
        sys.path.insert(0, os.path.abspath(folder))
    if args.codec == 'builtin':
        wire.use_builtin_codec()

    context = zmq.Context()
    socket = context.socket(zmq.ROUTER)
    socket.linger = 0
    bind_endpoint(parser, socket, args.bind)
    endpoint = socket.getsockopt_string(zmq.LAST_ENDPOINT)
    server = Server(verbose=args.verbose)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    # The launcher waits for this line: it carries the bound endpoint (port 0 resolved).
    print(f'rad-bridge ready {endpoint} codec={wire.CODEC}', flush=True)
    socket.rcvtimeo = 200  # wake up now and then to notice SIGTERM
    try:
        while not stopping:
            try:
                parts = socket.recv_multipart()
            except zmq.Again:
                continue
            identity, body = parts[0], parts[1:]
            reply = server.handle(body)
            try:
                frames = wire.encode_message(reply)
            except Exception as error:  # a reply the wire cannot carry
                frames = wire.encode_message(dict(reply, ok=False, error=f'cannot encode the reply: {error}',
                                                  obs=None, infos=None, frame=None))
            socket.send_multipart([identity] + frames, copy=False)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        socket.close(0)
        context.term()


if __name__ == '__main__':
    main()
