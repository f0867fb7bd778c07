"""The bridge's message format on the Python side (see envs/bridge/PROTOCOL.md).

Frame 0 is a msgpack header; frames 1..n are raw C-contiguous arrays. An array
inside the header is a msgpack extension of type 1 whose payload is the msgpack
list [frame index, dtype string, shape].

The `msgpack` package is used when importable (it is faster); otherwise a small
codec below covers the msgpack subset the protocol needs, so the server runs
with pyzmq and numpy alone.
"""

import struct

import numpy as np

FRAME_EXTENSION = 1

# numpy dtypes this protocol carries, by numpy's `dtype.str`. rad has no int64
# (common/ndarray.ts), so the server sends wider integers as int32 when they fit
# and as float64 otherwise; it still accepts <i8 arrays (Discrete actions).
WIRE_DTYPES = ('|u1', '|b1', '<i4', '<i8', '<f4', '<f8')
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


class ProtocolError(Exception):
    """A message that does not follow the protocol; the reply names what was wrong."""


class ExtType:
    __slots__ = ('code', 'data')

    def __init__(self, code, data):
        self.code = code
        self.data = data


def _pack(value, out, default):
    if value is None:
        out.append(b'\xc0')
    elif value is True:
        out.append(b'\xc3')
    elif value is False:
        out.append(b'\xc2')
    elif isinstance(value, int):
        if 0 <= value < 128:
            out.append(struct.pack('B', value))
        elif -32 <= value < 0:
            out.append(struct.pack('b', value))
        elif 0 <= value < 2**64:
            out.append(b'\xcf' + struct.pack('>Q', value))
        elif -(2**63) <= value < 0:
            out.append(b'\xd3' + struct.pack('>q', value))
        else:
            raise ProtocolError(f'integer {value} does not fit in 64 bits')
    elif isinstance(value, float):
        out.append(b'\xcb' + struct.pack('>d', value))
    elif isinstance(value, str):
        data = value.encode('utf-8')
        n = len(data)
        out.append(struct.pack('B', 0xA0 | n) if n < 32 else b'\xdb' + struct.pack('>I', n))
        out.append(data)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        out.append(b'\xc6' + struct.pack('>I', len(data)))
        out.append(data)
    elif isinstance(value, (list, tuple)):
        n = len(value)
        out.append(struct.pack('B', 0x90 | n) if n < 16 else b'\xdd' + struct.pack('>I', n))
        for item in value:
            _pack(item, out, default)
    elif isinstance(value, dict):
        n = len(value)
        out.append(struct.pack('B', 0x80 | n) if n < 16 else b'\xdf' + struct.pack('>I', n))
        for key, item in value.items():
            _pack(key, out, default)
            _pack(item, out, default)
    elif isinstance(value, ExtType):
        out.append(b'\xc9' + struct.pack('>Ib', len(value.data), value.code))
        out.append(value.data)
    else:
        _pack(default(value), out, default)


def fallback_packb(value, default=None):
    out = []
    _pack(value, out, default or _no_default)
    return b''.join(out)


def _no_default(value):
    raise TypeError(f'cannot encode {type(value).__name__}')


class _Reader:
    def __init__(self, data, ext_hook):
        self.data = data
        self.position = 0
        self.ext_hook = ext_hook

    def take(self, n):
        start = self.position
        if start + n > len(self.data):
            raise ValueError('truncated msgpack data')
        self.position = start + n
        return self.data[start:start + n]

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def value(self):
        byte = self.take(1)[0]
        if byte < 0x80:
            return byte
        if byte >= 0xE0:
            return byte - 0x100
        if 0x80 <= byte <= 0x8F:
            return self.map(byte & 0x0F)
        if 0x90 <= byte <= 0x9F:
            return [self.value() for _ in range(byte & 0x0F)]
        if 0xA0 <= byte <= 0xBF:
            return self.take(byte & 0x1F).decode('utf-8')
        simple = {0xC0: None, 0xC2: False, 0xC3: True}
        if byte in simple:
            return simple[byte]
        sized = {
            0xC4: ('bin', '>B'), 0xC5: ('bin', '>H'), 0xC6: ('bin', '>I'),
            0xD9: ('str', '>B'), 0xDA: ('str', '>H'), 0xDB: ('str', '>I'),
            0xDC: ('array', '>H'), 0xDD: ('array', '>I'), 0xDE: ('map', '>H'), 0xDF: ('map', '>I'),
            0xC7: ('ext', '>B'), 0xC8: ('ext', '>H'), 0xC9: ('ext', '>I'),
        }
        if byte in sized:
            kind, fmt = sized[byte]
            n = self.unpack(fmt)
            if kind == 'bin':
                return bytes(self.take(n))
            if kind == 'str':
                return self.take(n).decode('utf-8')
            if kind == 'array':
                return [self.value() for _ in range(n)]
            if kind == 'map':
                return self.map(n)
            code = self.unpack('>b')
            return self.ext_hook(code, bytes(self.take(n)))
        numbers = {
            0xCA: '>f', 0xCB: '>d', 0xCC: '>B', 0xCD: '>H', 0xCE: '>I', 0xCF: '>Q',
            0xD0: '>b', 0xD1: '>h', 0xD2: '>i', 0xD3: '>q',
        }
        if byte in numbers:
            return self.unpack(numbers[byte])
        fixext = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}
        if byte in fixext:
            code = self.unpack('>b')
            return self.ext_hook(code, bytes(self.take(fixext[byte])))
        raise ValueError(f'byte 0x{byte:02x} does not start a msgpack value')

    def map(self, n):
        result = {}
        for _ in range(n):
            key = self.value()
            result[key] = self.value()
        return result


def fallback_unpackb(data, ext_hook):
    reader = _Reader(bytes(data), ext_hook)
    value = reader.value()
    if reader.position != len(reader.data):
        raise ValueError(f'{len(reader.data) - reader.position} bytes after the msgpack value')
    return value


try:
    import msgpack as _msgpack

    def packb(value, default):
        return _msgpack.packb(value, default=default, use_bin_type=True)

    def unpackb(data, ext_hook):
        return _msgpack.unpackb(data, ext_hook=ext_hook, raw=False, strict_map_key=False)

    make_ext = _msgpack.ExtType
    CODEC = 'msgpack'
except ImportError:  # the protocol needs only pyzmq and numpy
    packb = fallback_packb
    unpackb = fallback_unpackb
    make_ext = ExtType
    CODEC = 'builtin'


def use_builtin_codec():
    """Switches to the built-in codec (the tests run both)."""
    global packb, unpackb, make_ext, CODEC, _encoder
    packb, unpackb, make_ext, CODEC = fallback_packb, fallback_unpackb, ExtType, 'builtin'
    _encoder = _Encoder()


_SENT_AS_IS = frozenset(('|u1', '|b1', '<i4', '<f4', '<f8'))
_DTYPES = {name: np.dtype(name) for name in WIRE_DTYPES}


# Dtypes outside the wire set are converted to the nearest wire dtype that holds them.
def to_wire_array(array):
    array = np.asarray(array)
    if array.dtype.str in _SENT_AS_IS and array.flags.c_contiguous:
        return array
    kind, size = array.dtype.kind, array.dtype.itemsize
    if kind == 'b':
        target = '|b1'
    elif kind == 'u' and size == 1:
        target = '|u1'
    elif kind in 'iu' and (size < 4 or (kind == 'i' and size == 4)):
        target = '<i4'
    elif kind in 'iu':
        fits = array.size == 0 or (int(array.min()) >= INT32_MIN and int(array.max()) <= INT32_MAX)
        target = '<i4' if fits else '<f8'
    elif kind == 'f' and size <= 4:
        target = '<f4'
    elif kind == 'f':
        target = '<f8'
    else:
        raise ProtocolError(f'cannot send an array of dtype {array.dtype}; expected booleans, integers or floats')
    if array.dtype.str != target or not array.flags.c_contiguous:
        array = np.ascontiguousarray(array, dtype=np.dtype(target))
    return array


# Array references packed before, by (frame index, dtype, shape): a step reply
# carries the same one every time, and packing it anew cost a fifth of the reply.
_packed_references = {}


def _default(value, frames):
    if isinstance(value, np.ndarray):
        array = to_wire_array(value)
        key = (len(frames), array.dtype.str, array.shape)
        reference = _packed_references.get(key)
        if reference is None:
            if len(_packed_references) > 1024:
                _packed_references.clear()
            reference = _packed_references[key] = make_ext(FRAME_EXTENSION, packb([key[0], key[1], list(key[2])], None))
        frames.append(array)
        return reference
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, frozenset)):
        return list(value)
    return repr(value)  # an info value the wire cannot carry is sent as text


class _Encoder:
    """One reusable msgpack Packer (building one per message costs more than the
    message); `frames` collects the arrays of the message being packed."""

    def __init__(self):
        self.frames = []
        self.packer = _msgpack.Packer(default=lambda value: _default(value, self.frames), use_bin_type=True) if CODEC == 'msgpack' else None

    def encode(self, header):
        frames = self.frames = []
        if self.packer is None:
            return [packb(header, lambda value: _default(value, frames))] + frames
        try:
            return [self.packer.pack(header)] + frames
        except Exception:
            self.packer.reset()
            raise


_encoder = _Encoder()


def encode_message(header):
    """Header to [msgpack header, array frames...]; numpy arrays become frames."""
    return _encoder.encode(header)


# Validated references by their payload bytes: (frame index, dtype, shape, byte count).
# Requests repeat the same few (a step's actions), so each is parsed and checked once.
_parsed_references = {}


def _array_from_reference(payload, frames):
    parsed = _parsed_references.get(payload)
    if parsed is None:
        parsed = _parse_reference(payload, len(frames))
        if len(_parsed_references) > 1024:
            _parsed_references.clear()
        _parsed_references[payload] = parsed
    index, dtype, shape, expected = parsed
    if index >= len(frames):
        raise ProtocolError(f'array reference to frame {index!r}, but the message has {len(frames)} array frames')
    frame = frames[index]
    if len(frame) != expected:
        raise ProtocolError(f'array {dtype.str} {shape} needs {expected} bytes, frame {index + 1} has {len(frame)}')
    return np.frombuffer(frame, dtype=dtype).reshape(shape)


def _parse_reference(payload, frame_count):
    """A reference's payload to (index, dtype, shape, bytes), or a ProtocolError naming what is wrong."""
    try:
        reference = unpackb(payload, None)
    except Exception as error:
        raise ProtocolError(f'an array reference is not msgpack ({error})') from None
    if not isinstance(reference, list) or len(reference) != 3:
        raise ProtocolError(f'an array reference must be [frame index, dtype, shape], got {reference!r}')
    index, dtype, shape = reference
    if not isinstance(index, int) or not 0 <= index < frame_count:
        raise ProtocolError(f'array reference to frame {index!r}, but the message has {frame_count} array frames')
    if dtype not in _DTYPES:
        raise ProtocolError(f'unknown dtype {dtype!r}; expected one of {", ".join(WIRE_DTYPES)}')
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise ProtocolError(f'array shape must be a list of non-negative integers, got {shape!r}')
    dtype = _DTYPES[dtype]
    expected = dtype.itemsize
    for d in shape:
        expected *= d
    return index, dtype, tuple(shape), expected


def decode_message(parts):
    """[header, frames...] to a header dict with array references resolved."""
    if not parts:
        raise ProtocolError('empty message: expected a msgpack header frame')
    frames = parts[1:]

    def ext_hook(code, payload):
        if code != FRAME_EXTENSION:
            raise ProtocolError(f'unknown msgpack extension type {code}; expected {FRAME_EXTENSION} (an array reference)')
        return _array_from_reference(payload, frames)

    try:
        header = unpackb(parts[0], ext_hook)
    except ProtocolError:
        raise
    except Exception as error:
        raise ProtocolError(f'header frame is not msgpack ({type(error).__name__}: {error})') from None
    if not isinstance(header, dict):
        raise ProtocolError(f'header must be a msgpack map, got {type(header).__name__}')
    return header
