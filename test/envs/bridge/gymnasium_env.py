"""A gymnasium.Env for the bridge tests with what real envs hand the server and rad
has no dtype for: int64 (wide and narrow bounds), uint16, float16 and bool Boxes,
float64 observations in a float32 space, a float64 action space, numpy scalars and
arrays in info, numpy bools for terminated and truncated."""

import gymnasium
import numpy as np
from gymnasium import spaces


class NumpyEnv(gymnasium.Env):
    metadata = {'render_modes': [], 'render_fps': 5}

    def __init__(self, episode_length=2):
        self.episode_length = int(episode_length)
        self.observation_space = spaces.Dict({
            'wide': spaces.Box(0, 2**40, (2,), np.int64),  # bounds past int32: float64 on the wire
            'narrow': spaces.Box(-5, 5, (2,), np.int64),  # bounds within int32: int32 on the wire
            'small': spaces.Box(0, 9, (2,), np.uint16),
            'half': spaces.Box(-1, 1, (2,), np.float16),
            'flags': spaces.Box(0, 1, (3,), bool),
            'position': spaces.Box(-10, 10, (2,), np.float32),
        })
        self.action_space = spaces.Box(-1, 1, (2,), np.float64)
        self.position = np.zeros(2)
        self.steps = 0

    def _observation(self):
        return {
            'wide': np.array([self.steps, 2**35], np.int64),
            'narrow': np.array([self.steps, -self.steps], np.int64),
            'small': np.array([self.steps, 9], np.uint16),
            'half': np.array([0.5, -0.25], np.float16),
            'flags': np.array([True, False, self.steps % 2 == 1]),
            'position': self.position.copy(),  # float64, though the space says float32
        }

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.position = self.np_random.uniform(-1, 1, 2)
        self.steps = 0
        info = {'seeded': np.bool_(seed is not None), 'scale': np.float32(0.5), 'count': np.int64(3),
                'indices': np.arange(3), 'nested': {'mean': np.float64(1.5), 'pair': (np.int32(1), 2)}}
        return self._observation(), info

    def step(self, action):
        self.steps += 1
        self.position = self.position + action
        terminated = np.bool_(self.steps >= self.episode_length)
        return self._observation(), np.float32(0.25), terminated, np.False_, {'action_dtype': str(action.dtype), 'action': action}
