"""Checks the Python server's built-in msgpack codec (run by wire.test.ts):
round trips across every size class, byte-for-byte agreement with the `msgpack`
package where it is importable, and errors on malformed input.
Exits non-zero with a message on the first failure."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'envs', 'bridge', 'python'))
import wire  # noqa: E402

VALUES = [
    None, True, False, 0, 1, 127, 128, 255, 256, 65535, 65536, 2**32, 2**64 - 1,
    -1, -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**63),
    0.5, -1e300, float('inf'), float('-inf'),
    '', 'a' * 31, 'b' * 32, 'é' * 300, 'x' * 70000,
    b'', b'\x00\xff' * 40000,
    [], list(range(15)), list(range(16)), list(range(70000)),
    {}, {str(i): i for i in range(15)}, {str(i): i for i in range(16)}, {1: 'int key', 'nested': {'list': [1, [2, [3]]]}},
]


def check(condition, message):
    if not condition:
        print(f'wire_check: {message}', file=sys.stderr)
        sys.exit(1)


def no_ext(code, data):
    raise AssertionError('no extension expected')


for value in VALUES:
    packed = wire.fallback_packb(value)
    check(wire.fallback_unpackb(packed, no_ext) == value, f'round trip of {str(value)[:60]!r}')
    try:
        import msgpack
    except ImportError:
        continue
    other = msgpack.unpackb(packed, raw=False, strict_map_key=False)
    check(other == value, f'msgpack reads the built-in encoding of {str(value)[:60]!r} differently')
    theirs = msgpack.packb(value, use_bin_type=True)
    check(wire.fallback_unpackb(theirs, no_ext) == value, f'built-in codec misreads msgpack\'s encoding of {str(value)[:60]!r}')

# Floats msgpack packs as float32, and every fixext size, decode too.
check(wire.fallback_unpackb(b'\xca\x3f\xc0\x00\x00', no_ext) == 1.5, 'float32')
for size, marker in ((1, 0xD4), (2, 0xD5), (4, 0xD6), (8, 0xD7), (16, 0xD8)):
    data = bytes([marker, 1]) + bytes(range(size))
    check(wire.fallback_unpackb(data, lambda code, payload: (code, payload)) == (1, bytes(range(size))), f'fixext {size}')

# Messages with arrays, through the built-in codec.
wire.use_builtin_codec()
obs = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
parts = [bytes(p) for p in wire.encode_message({'obs': obs, 'infos': [{'x': np.float32(0.5), 'big': np.array([2**40], np.int64)}]})]
check(len(parts) == 3, f'expected a header and 2 array frames, got {len(parts)} parts')
header = wire.decode_message(parts)
check(np.array_equal(header['obs'], obs) and header['obs'].dtype == np.uint8, 'obs array round trip')
check(header['infos'][0]['big'].dtype == np.float64, 'an int64 array that does not fit int32 is sent as float64')

for bad, expected in (([b'\xc1'], 'not msgpack'), ([b'\x93\x01\x02\x03'], 'must be a msgpack map'), ([parts[0]], 'array frames'),
                      ([parts[0], b'', b''], 'needs 24 bytes')):
    try:
        wire.decode_message(bad)
        check(False, f'{bad!r} was accepted')
    except wire.ProtocolError as error:
        check(expected in str(error), f'error for {bad!r} is {error!r}, expected it to say {expected!r}')
print('wire_check: ok')
