"""N copies of a Gymnasium-style env stepped by one request, with the autoreset
modes of Gymnasium 1.x, and the space descriptions and action checks of the wire.

An env here is anything with Gymnasium's interface: `observation_space`,
`action_space`, `reset(seed=, options=) -> (obs, info)`,
`step(action) -> (obs, reward, terminated, truncated, info)`, optional
`render()` and `close()`. Spaces are read by duck typing (Box: low, high, shape,
dtype; Discrete: n, start; Dict: spaces), so gymnasium itself is not needed.
"""

import numpy as np

from wire import INT32_MAX, INT32_MIN, ProtocolError, to_wire_array

# 'disabled' serves one env without autoreset (RemoteEnv); the other two are Gymnasium 1.x's.
AUTORESET_MODES = ('next-step', 'same-step', 'disabled')

UNSUPPORTED_SPACES = ('MultiBinary', 'MultiDiscrete', 'Tuple', 'Text', 'Graph', 'Sequence', 'OneOf')


def space_kind(space):
    name = type(space).__name__
    if name in UNSUPPORTED_SPACES:
        return None
    if isinstance(getattr(space, 'spaces', None), dict):
        return 'dict'
    if hasattr(space, 'n') and not hasattr(space, 'low'):
        return 'discrete'
    if all(hasattr(space, field) for field in ('low', 'high', 'shape', 'dtype')):
        return 'box'
    return None


def _bound(values):
    values = np.asarray(values, dtype=np.float64)
    if values.size > 0 and np.all(values == values.flat[0]):
        return float(values.flat[0])
    return values.ravel().tolist()


def describe_space(space, role, action=False):
    """The wire description of a space. Float action Boxes are float32 on the wire
    (the agents act in float32); the server casts to the env's dtype."""
    kind = space_kind(space)
    if kind is None:
        raise ProtocolError(f'{role} space {space} is not supported; expected Box, Discrete or Dict')
    if kind == 'discrete':
        return {'kind': 'discrete', 'n': int(space.n), 'start': int(getattr(space, 'start', 0))}
    if kind == 'dict':
        if action:
            raise ProtocolError(f'{role} space {space} is a Dict; the bridge steps Box or Discrete actions')
        return {'kind': 'dict', 'spaces': {key: describe_space(sub, f'{role}.{key}') for key, sub in space.spaces.items()}}
    wire = '<f4' if action and np.dtype(space.dtype).kind == 'f' else wire_dtypes(space).str
    shape = [int(d) for d in space.shape]
    return {'kind': 'box', 'dtype': wire, 'shape': shape, 'low': _bound(space.low), 'high': _bound(space.high)}


class ActionCheck:
    """Checks a batch of actions against the single action space's wire description."""

    def __init__(self, description, num_envs):
        self.description = description
        self.num_envs = num_envs
        if description['kind'] == 'box':
            dtype = np.dtype(description['dtype'])
            shape = description['shape']
            self.low = np.broadcast_to(np.asarray(description['low'], np.float64).astype(dtype), shape)
            self.high = np.broadcast_to(np.asarray(description['high'], np.float64).astype(dtype), shape)
            # Small actions are checked in plain Python: numpy's per-call cost dominates there.
            self.small = self.low.size <= 64
            # The bounds of every element of a whole batch, flattened as the batch is.
            self.batch_low = self.low.ravel().tolist() * num_envs
            self.batch_high = self.high.ravel().tolist() * num_envs

    def __call__(self, actions):
        description, n = self.description, self.num_envs
        if not isinstance(actions, np.ndarray):
            raise ProtocolError(f'field "actions" must be an array of {n} actions, got {type(actions).__name__}')
        if description['kind'] == 'discrete':
            if actions.dtype.str not in ('<i4', '<i8'):
                raise ProtocolError(f'actions have dtype {actions.dtype.str}; Discrete actions must be <i4 or <i8')
            if list(actions.shape) != [n]:
                raise ProtocolError(f'actions have shape {list(actions.shape)}; expected [{n}] (one integer per copy)')
            start, count = description['start'], description['n']
            bad = np.flatnonzero((actions < start) | (actions >= start + count))
            if bad.size:
                i = int(bad[0])
                raise ProtocolError(f'action of copy {i} = {int(actions[i])} is outside Discrete({count}, start={start}): expected [{start}, {start + count})')
            return [int(a) for a in actions]
        expected_dtype = description['dtype']
        if actions.dtype.str != expected_dtype:
            raise ProtocolError(f'actions have dtype {actions.dtype.str}; expected {expected_dtype}')
        expected_shape = [n] + description['shape']
        if list(actions.shape) != expected_shape:
            raise ProtocolError(f'actions have shape {list(actions.shape)}; expected {expected_shape}')
        if self.small:
            inside = True
            for x, low, high in zip(actions.ravel().tolist(), self.batch_low, self.batch_high):
                if not low <= x <= high:  # NaN fails both
                    inside = False
                    break
            if inside:
                return actions.copy()  # writable: the received frame is read-only
        outside = ~((actions >= self.low) & (actions <= self.high))  # NaN is outside
        if outside.any():
            index = np.unravel_index(int(np.flatnonzero(outside)[0]), actions.shape)
            copy, element = index[0], index[1:]
            raise ProtocolError(
                f'action of copy {copy} element {list(element)} = {actions[index]} is outside '
                f'[{self.low[element]}, {self.high[element]}]'
            )
        return actions.copy()  # writable: the received frame is read-only


def wire_dtypes(space):
    """The numpy dtype observations of `space` travel as: one per Box (a dict of them
    for a Dict space), int32 for Discrete. Integers wider than 32 bits travel as int32
    when the space's bounds fit and as float64 otherwise, decided once from the space
    so that the space described and every observation sent agree (PROTOCOL.md, Dtypes)."""
    kind = space_kind(space)
    if kind == 'dict':
        return {key: wire_dtypes(sub) for key, sub in space.spaces.items()}
    if kind == 'discrete':
        return np.dtype('<i4')
    if kind is None:
        return None
    dtype = np.dtype(space.dtype)
    if dtype.kind in 'iu' and dtype.itemsize >= 4 and dtype.str != '<i4':
        fits = np.all(np.asarray(space.low) >= INT32_MIN) and np.all(np.asarray(space.high) <= INT32_MAX)
        return np.dtype('<i4') if fits else np.dtype('<f8')
    return to_wire_array(np.zeros(0, dtype)).dtype


def as_wire(observation, dtypes):
    """One observation in its wire dtypes (`final_obs` of same-step autoreset)."""
    if isinstance(dtypes, dict):
        return {key: as_wire(observation[key], dtype) for key, dtype in dtypes.items()}
    return np.asarray(observation, dtype=dtypes)


def stack(observations, dtypes):
    """Per-copy observations batched along a new leading axis in their wire dtypes.
    Gymnasium's vector envs batch into a buffer of the space's dtype too, so an env
    whose float64 observations declare float32 still sends what it declared."""
    if isinstance(dtypes, dict):
        return {key: stack([o[key] for o in observations], dtype) for key, dtype in dtypes.items()}
    if len(observations) == 1:
        return np.asarray(observations[0], dtype=dtypes)[None]  # a view when the dtype is right: no batch buffer
    batch = np.stack(observations)
    return batch if dtypes is None else batch.astype(dtypes, copy=False)


class Copies:
    """N independent copies in one process, stepped one after the other."""

    def __init__(self, factory, num_envs, autoreset_mode):
        if autoreset_mode == 'disabled' and num_envs != 1:
            raise ProtocolError(f'autoreset_mode "disabled" serves one env, got num_envs={num_envs}')
        self.envs = []
        try:
            for _ in range(num_envs):
                self.envs.append(factory())
        except Exception:
            self.close()
            raise
        self.num_envs = num_envs
        self.autoreset_mode = autoreset_mode
        first = self.envs[0]
        self.observation_space = first.observation_space
        self.action_space = first.action_space
        self.metadata = dict(getattr(first, 'metadata', None) or {})
        self.observation_dtypes = wire_dtypes(self.observation_space)
        self.needs_reset = [False] * num_envs
        # Float Box actions arrive as float32 (the wire's action dtype); envs of another float dtype get a cast.
        self.action_dtype = np.dtype(getattr(self.action_space, 'dtype', None) or np.int64)
        self.cast_actions = space_kind(self.action_space) == 'box' and self.action_dtype != np.float32

    def reset(self, seeds, options):
        results = [env.reset(seed=seed, options=options) for env, seed in zip(self.envs, seeds)]
        self.needs_reset = [False] * self.num_envs
        return stack([obs for obs, _ in results], self.observation_dtypes), [dict(info) for _, info in results]

    def step(self, actions):
        """Rewards, terminated and truncated come back as lists (what the reply sends)."""
        n = self.num_envs
        observations, infos = [None] * n, [None] * n
        rewards, terminated, truncated = [0.0] * n, [False] * n, [False] * n
        cast = self.cast_actions
        for i, env in enumerate(self.envs):
            if self.needs_reset[i]:  # next-step: this step only resets (Gymnasium 1.x)
                observations[i], info = env.reset()
                infos[i] = dict(info)
                self.needs_reset[i] = False
                continue
            action = actions[i].astype(self.action_dtype) if cast else actions[i]
            obs, reward, term, trunc, info = env.step(action)
            rewards[i], terminated[i], truncated[i] = float(reward), bool(term), bool(trunc)
            if (term or trunc) and self.autoreset_mode == 'same-step':
                reset_obs, reset_info = env.reset()
                info = dict(reset_info, final_obs=as_wire(obs, self.observation_dtypes), final_info=info)
                obs = reset_obs
            elif (term or trunc) and self.autoreset_mode == 'next-step':
                self.needs_reset[i] = True
            observations[i], infos[i] = obs, info
        return stack(observations, self.observation_dtypes), rewards, terminated, truncated, infos

    def render(self, index):
        render = getattr(self.envs[index], 'render', None)
        if render is None:
            raise ProtocolError('this env cannot render')
        return render()

    def close(self):
        for env in self.envs:
            close = getattr(env, 'close', None)
            if close is not None:
                close()
        self.envs = []
