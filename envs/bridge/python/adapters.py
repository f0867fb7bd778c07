"""Env ids to vectors of envs. An id is `<library>/<name>`:

- `gymnasium/<id>`: `gymnasium.make(id, **kwargs)` (render_mode defaults to rgb_array);
  kwargs `pixels` (true: observe the rendered frame; "dict": {pixels, state}) and
  `pixel_size` ([height, width], area-resampled) are the adapter's (pixels.py).
- `dm_control/<domain>-<task>`: the suite task with pixel observations from
  `physics.render(height, width, camera_id)`; kwargs height, width, camera_id,
  from_pixels (false gives the flattened state vector), plus task kwargs.
- `procgen/<game>`: procgen's gym3 vector env with num_levels, start_level,
  distribution_mode (and any other ProcgenGym3Env kwarg); autoreset is same-step.
- `python/<module>:<Class>`: any class with Gymnasium's env interface, built with
  the kwargs. `<module>` is an importable module name (see --python-path) or a
  path to a .py file.

Only the library an id names is imported, so a missing one gives a clear error
naming it and the server keeps serving the others.
"""

import importlib
import importlib.util
import os
import subprocess
import sys

import numpy as np

from pixels import add_pixels, pixel_options
from vector import Copies, ProtocolError


class MissingPackage(Exception):
    pass


def _require(module, package, env_id):
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingPackage(
            f'env "{env_id}" needs the Python package "{package}", which {sys.executable} cannot import '
            f'({error}); install it with: {sys.executable} -m pip install {package}'
        ) from None


def _python_class(name, env_id):
    module_name, _, class_name = name.rpartition(':')
    if not module_name or not class_name:
        raise ProtocolError(f'env "{env_id}": expected python/<module>:<Class>, e.g. python/my_envs:PixelEnv')
    if module_name.endswith('.py'):
        path = os.path.abspath(module_name)
        if not os.path.isfile(path):
            raise ProtocolError(f'env "{env_id}": no Python file {path}')
        key = f'rad_bridge_env_{abs(hash(path))}'
        module = sys.modules.get(key)
        if module is None:
            spec = importlib.util.spec_from_file_location(key, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            sys.modules[key] = module
    else:
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise ProtocolError(f'env "{env_id}": cannot import module "{module_name}" ({error}); add its folder with --python-path') from None
    env_class = getattr(module, class_name, None)
    if env_class is None:
        raise ProtocolError(f'env "{env_id}": module "{module_name}" has no attribute "{class_name}"')
    return env_class


def _gymnasium_factory(name, kwargs, env_id):
    """`gymnasium.make(name, **kwargs)` with render_mode rgb_array unless stated,
    and the `pixels` / `pixel_size` kwargs of pixels.py."""
    kwargs, pixels, size = pixel_options(kwargs, env_id)
    kwargs.setdefault('render_mode', 'rgb_array')
    if kwargs['render_mode'] != 'human':
        # pygame (classic control's renderer) draws off-screen; without these SDL looks
        # for a display and a sound card, and complains on stderr when there is none.
        os.environ.setdefault('SDL_VIDEODRIVER', 'dummy')
        os.environ.setdefault('SDL_AUDIODRIVER', 'dummy')
    os.environ.setdefault('PYGAME_HIDE_SUPPORT_PROMPT', '1')  # pygame's banner goes to stdout
    gymnasium = _require('gymnasium', 'gymnasium', env_id)

    def make():
        env = gymnasium.make(name, **kwargs)
        if not pixels:
            return env
        try:
            return add_pixels(gymnasium, env, pixels, size)
        except Exception:
            env.close()
            raise

    return make


_mujoco_gl_chosen = False


def _choose_mujoco_gl():
    """MUJOCO_GL=egl (headless GPU), falling back to osmesa (software) when an EGL
    context cannot be made. The probe runs in a child: a failed GL init can poison
    the process that tried it."""
    global _mujoco_gl_chosen
    if _mujoco_gl_chosen or 'MUJOCO_GL' in os.environ:
        _mujoco_gl_chosen = True
        return
    probe = 'import mujoco; mujoco.GLContext(8, 8).make_current()'
    result = subprocess.run([sys.executable, '-c', probe], env=dict(os.environ, MUJOCO_GL='egl'), capture_output=True, timeout=60)
    os.environ['MUJOCO_GL'] = 'egl' if result.returncode == 0 else 'osmesa'
    _mujoco_gl_chosen = True


class DmControlEnv:
    """A dm_control task behind Gymnasium's interface, observing pixels."""

    metadata = {'render_fps': 30}

    def __init__(self, suite, domain, task, height=84, width=84, camera_id=None, from_pixels=True, **task_kwargs):
        self.suite, self.domain, self.task, self.task_kwargs = suite, domain, task, task_kwargs
        self.height, self.width, self.from_pixels = int(height), int(width), bool(from_pixels)
        # Quadruped's default camera sees little of the body; DrQ and RAD use camera 2.
        self.camera_id = int(camera_id) if camera_id is not None else (2 if domain == 'quadruped' else 0)
        self.env = self._load(None)
        spec = self.env.action_spec()
        self.action_space = _SimpleBox(spec.minimum, spec.maximum, spec.shape, np.float32)
        if self.from_pixels:
            self.observation_space = _SimpleBox(0, 255, (self.height, self.width, 3), np.uint8)
        else:
            size = sum(int(np.prod(s.shape)) for s in self.env.observation_spec().values())
            self.observation_space = _SimpleBox(-np.inf, np.inf, (size,), np.float32)

    def _load(self, seed):
        return self.suite.load(self.domain, self.task, task_kwargs=dict(self.task_kwargs, random=seed))

    def _observe(self, time_step):
        if self.from_pixels:
            return self.render()
        return np.concatenate([np.asarray(v, np.float32).ravel() for v in time_step.observation.values()])

    def reset(self, seed=None, options=None):
        if seed is not None:  # dm_control seeds a task when it is built
            self.env.close()
            self.env = self._load(int(seed))
        return self._observe(self.env.reset()), {}

    def step(self, action):
        time_step = self.env.step(action)
        last = time_step.last()
        # dm_control ends a suite episode at its time limit with discount 1 (truncation);
        # discount 0 marks a terminal state.
        terminated = bool(last and time_step.discount == 0)
        truncated = bool(last and not terminated)
        return self._observe(time_step), float(time_step.reward or 0.0), terminated, truncated, {'discount': float(time_step.discount)}

    def render(self):
        return self.env.physics.render(height=self.height, width=self.width, camera_id=self.camera_id)

    def close(self):
        self.env.close()


class _SimpleBox:
    def __init__(self, low, high, shape, dtype):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.low = np.broadcast_to(np.asarray(low, np.float64), self.shape)
        self.high = np.broadcast_to(np.asarray(high, np.float64), self.shape)


class _SimpleDiscrete:
    def __init__(self, n):
        self.n = int(n)
        self.start = 0


class ProcgenVector:
    """procgen's gym3 env: one native vector of `num` copies. gym3 resets inside the
    step that ends an episode and keeps no final observation, so the mode is
    same-step without `final_obs`."""

    def __init__(self, procgen, game, num_envs, autoreset_mode, kwargs):
        if autoreset_mode not in (None, 'same-step', 'disabled'):
            raise ProtocolError(f'procgen/{game}: autoreset_mode "{autoreset_mode}" is not possible; gym3 resets in the step (same-step)')
        self.procgen, self.game, self.kwargs, self.num_envs = procgen, game, kwargs, num_envs
        self.autoreset_mode = autoreset_mode or 'same-step'
        self.env = self._build(kwargs.get('rand_seed'))
        _, obs, _ = self.env.observe()
        self.observation_space = _SimpleBox(0, 255, np.asarray(obs['rgb']).shape[1:], np.uint8)
        self.action_space = _SimpleDiscrete(self.env.ac_space.eltype.n)
        self.metadata = {'render_fps': 15}

    def _build(self, seed):
        kwargs = dict(self.kwargs)
        if seed is not None:
            kwargs['rand_seed'] = int(seed)
        return self.procgen.ProcgenGym3Env(num=self.num_envs, env_name=self.game, **kwargs)

    def reset(self, seeds, options):
        if seeds[0] is not None:  # gym3 has no reset: a seed rebuilds the vector
            self.close()
            self.env = self._build(seeds[0])
        _, obs, _ = self.env.observe()
        return np.array(obs['rgb']), [dict(info) for info in self.env.get_info()]

    def step(self, actions):
        self.env.act(np.asarray(actions, np.int32))
        rewards, obs, first = self.env.observe()
        ended = np.asarray(first, bool)
        return (np.array(obs['rgb']), np.asarray(rewards, np.float64).tolist(), ended.tolist(), [False] * self.num_envs,
                [dict(info) for info in self.env.get_info()])

    def render(self, index):
        _, obs, _ = self.env.observe()
        return np.array(obs['rgb'][index])

    def close(self):
        if hasattr(self.env, 'close'):
            self.env.close()


def make_vector(env_id, kwargs, num_envs, autoreset_mode):
    """The vector of `num_envs` copies an id names; `autoreset_mode` None picks the native one."""
    library, _, name = env_id.partition('/')
    if not name:
        raise ProtocolError(f'env id "{env_id}" must be <library>/<name>; libraries: gymnasium, dm_control, procgen, python')
    if library == 'procgen':
        return ProcgenVector(_require('procgen', 'procgen', env_id), name, num_envs, autoreset_mode, kwargs)
    mode = autoreset_mode or 'next-step'
    if library == 'gymnasium':
        return Copies(_gymnasium_factory(name, kwargs, env_id), num_envs, mode)
    if library == 'dm_control':
        domain, dash, task = name.partition('-')
        if not dash:
            raise ProtocolError(f'env id "{env_id}" must be dm_control/<domain>-<task>, e.g. dm_control/cartpole-swingup')
        _choose_mujoco_gl()
        suite = _require('dm_control.suite', 'dm_control', env_id)
        task = task.replace('-', '_')
        return Copies(lambda: DmControlEnv(suite, domain, task, **kwargs), num_envs, mode)
    if library == 'python':
        env_class = _python_class(name, env_id)
        return Copies(lambda: env_class(**kwargs), num_envs, mode)
    raise ProtocolError(f'env id "{env_id}": unknown library "{library}"; expected gymnasium, dm_control, procgen or python')
