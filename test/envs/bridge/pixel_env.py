"""A small Gymnasium-style pixel env for the bridge tests (no gymnasium import).

A dot moves on a size x size RGB image; pixel (0, 0) holds the step count in
its red channel, so a test can read time off a frame. Episodes are truncated
after `episode_length` steps, or terminated at step `terminal_step` when set.
With `discrete=True` the actions are Discrete(5) (stay, up, down, left, right),
otherwise Box(-1, 1, (2,), float32).
"""

import numpy as np


class Box:
    def __init__(self, low, high, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.low = np.full(self.shape, low, dtype=self.dtype)
        self.high = np.full(self.shape, high, dtype=self.dtype)


class Discrete:
    def __init__(self, n):
        self.n = n
        self.start = 0


MOVES = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))


class PixelEnv:
    """Plain-Python arithmetic and a two-pixel redraw per step, so that a benchmark
    of the bridge measures the bridge rather than this env."""

    metadata = {'render_fps': 10}

    def __init__(self, size=16, episode_length=10, terminal_step=None, discrete=False):
        self.size = int(size)
        self.episode_length = int(episode_length)
        self.terminal_step = terminal_step
        self.discrete = bool(discrete)
        self.observation_space = Box(0, 255, (self.size, self.size, 3), np.uint8)
        self.action_space = Discrete(5) if self.discrete else Box(-1.0, 1.0, (2,), np.float32)
        self.rng = np.random.default_rng()
        self.frame = np.zeros((self.size, self.size, 3), np.uint8)
        self.position = [0.0, 0.0]
        self.pixel = (0, 0)
        self.steps = 0

    def _clamp(self, x):
        return min(self.size - 1.0, max(0.0, x))

    def _draw(self):
        self.frame[self.pixel] = 0
        self.pixel = (int(round(self.position[0])), int(round(self.position[1])))
        self.frame[self.pixel] = 255
        self.frame[0, 0, 0] = self.steps % 256
        return self.frame.copy()

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.position = [float(x) for x in self.rng.uniform(0, self.size - 1, size=2)]
        self.steps = 0
        self.frame[:] = 0
        return self._draw(), {'position': np.array(self.position), 'options': options or {}}

    def step(self, action):
        move = MOVES[int(action)] if self.discrete else (float(action[0]), float(action[1]))
        self.position = [self._clamp(x + dx) for x, dx in zip(self.position, move)]
        self.steps += 1
        centre = (self.size - 1) / 2
        reward = -(abs(self.position[0] - centre) + abs(self.position[1] - centre)) / self.size
        terminated = self.terminal_step is not None and self.steps == int(self.terminal_step)
        truncated = not terminated and self.steps >= self.episode_length
        return self._draw(), reward, terminated, truncated, {'steps': self.steps}

    def render(self):
        return self.frame.copy()

    def close(self):
        pass


class BrokenEnv(PixelEnv):
    """Raises inside step: the server must answer with the error and keep serving."""

    def step(self, action):
        raise RuntimeError('the env broke on purpose')
