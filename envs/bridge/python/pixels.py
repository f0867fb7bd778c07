"""Pixel observations for `gymnasium/<id>` envs: the rendered RGB frame as the
observation (gymnasium's own AddRenderObservation), optionally resized on the
server, so that CartPole's 400x600 frame travels as the 84x84 one the agents use.

kwargs of the id (taken out before `gymnasium.make`):
- `pixels`: true, the observation is the frame; "dict", a Dict {pixels, state}
  (the env's own observation under `state`); false (default), the env's own.
- `pixel_size`: [height, width] of the frame sent; omitted, the render size.
  Shrinking averages the source pixels each output pixel covers (area resampling,
  what OpenCV's INTER_AREA does), so thin lines such as CartPole's pole survive.
"""

import numpy as np

from wire import ProtocolError


def area_weights(source, target):
    """A (target x source) matrix: row i holds the share of each source pixel in
    output pixel i, the rows summing to 1 (box filter over the covered span)."""
    edges = np.arange(target + 1, dtype=np.float64) * (source / target)
    start, end = edges[:-1, None], edges[1:, None]
    pixel = np.arange(source, dtype=np.float64)[None, :]
    overlap = np.clip(np.minimum(end, pixel + 1) - np.maximum(start, pixel), 0, None)
    return (overlap / overlap.sum(axis=1, keepdims=True)).astype(np.float32)


class AreaResize:
    """Resizes H x W x C uint8 frames of one size to height x width."""

    def __init__(self, source_shape, height, width):
        if len(source_shape) != 3:
            raise ValueError(f'pixel_size resizes H x W x C frames; the env renders frames of shape {list(source_shape)}')
        self.source_shape = tuple(source_shape)
        self.rows = area_weights(source_shape[0], height)
        self.columns = area_weights(source_shape[1], width)

    def __call__(self, frame):
        frame = np.asarray(frame)
        if frame.shape != self.source_shape:
            raise RuntimeError(f'the env rendered a frame of shape {list(frame.shape)}; its first frame had {list(self.source_shape)}')
        source_height, source_width, channels = self.source_shape
        # Two matrix products (BLAS), rows then columns: height x (W*C), then (height*C) x W by W x width.
        rows_done = self.rows @ frame.reshape(source_height, -1).astype(np.float32)
        by_channel = rows_done.reshape(-1, source_width, channels).transpose(0, 2, 1)
        both = (by_channel @ self.columns.T).transpose(0, 2, 1)
        return np.clip(np.rint(both), 0, 255).astype(np.uint8)


def pixel_options(kwargs, env_id):
    """Splits the pixel kwargs off `kwargs`: (make kwargs, pixels, (height, width) or None)."""
    kwargs = dict(kwargs)
    pixels = kwargs.pop('pixels', False)
    size = kwargs.pop('pixel_size', None)
    if not (pixels is True or pixels is False or pixels == 'dict'):
        raise ProtocolError(f'env "{env_id}": kwarg "pixels" must be true, false or "dict", got {pixels!r}')
    if size is not None:
        if not pixels:
            raise ProtocolError(f'env "{env_id}": kwarg "pixel_size" needs "pixels": true or "dict"')
        if (not isinstance(size, (list, tuple)) or len(size) != 2
                or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in size)):
            raise ProtocolError(f'env "{env_id}": kwarg "pixel_size" must be [height, width], two positive integers, got {size!r}')
        size = (int(size[0]), int(size[1]))
    if pixels and kwargs.get('render_mode', 'rgb_array') != 'rgb_array':
        raise ProtocolError(f'env "{env_id}": kwarg "pixels" needs render_mode "rgb_array", got {kwargs["render_mode"]!r}')
    return kwargs, pixels, size


def add_pixels(gymnasium, env, pixels, size):
    """`env` observing its rendered frame (`pixels` true) or {pixels, state} ("dict")."""
    from gymnasium.wrappers import AddRenderObservation, TransformObservation

    env = AddRenderObservation(env, render_only=pixels is True)  # renders once to learn the frame shape
    if size is None:
        return env
    space = env.observation_space
    frame_space = space if pixels is True else space['pixels']
    resize = AreaResize(frame_space.shape, *size)
    resized_space = gymnasium.spaces.Box(0, 255, (size[0], size[1], frame_space.shape[2]), np.uint8)
    if pixels is True:
        return TransformObservation(env, resize, resized_space)
    dict_space = gymnasium.spaces.Dict(dict(space.spaces, pixels=resized_space))
    return TransformObservation(env, lambda obs: dict(obs, pixels=resize(obs['pixels'])), dict_space)
