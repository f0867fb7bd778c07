#!/usr/bin/env bash
# Builds a Python venv for the bridge server (server.py) with pyzmq, numpy, msgpack,
# gymnasium and pygame (gymnasium's rgb_array rendering of the classic-control envs).
#
#   envs/bridge/python/make_venv.sh .cache/bridge-venv                  # from PyPI
#   envs/bridge/python/make_venv.sh --wheelhouse /opt/pypi/files DIR    # offline, wheels only
#   RAD_WHEELHOUSE=/opt/pypi/files envs/bridge/python/make_venv.sh DIR  # the same
#
# Then run server.py with DIR/bin/python (startPythonServer: RAD_PYTHON=DIR/bin/python).
# test/envs/bridge/gymnasium.test.ts finds .cache/bridge-venv under the repo by itself.
# Idempotent: when DIR already holds a venv built from the same requirements that
# imports them all, the script says so and exits at once.
# Interpreter: RAD_VENV_PYTHON, else the first of the pyenv 3.11.7 build, python3.11,
# python3 that can make a venv with pip (the gymnasium wheelhouse here is cp311).
set -euo pipefail
export PYGAME_HIDE_SUPPORT_PROMPT=1

# Lower bounds only: gymnasium 1.x is the API the adapters follow (next-step autoreset,
# AddRenderObservation); pyzmq 22 is the oldest with the socket options server.py sets.
REQUIREMENTS=(pyzmq'>=22' numpy'>=1.21' msgpack'>=1.0' gymnasium'>=1.0,<2' pygame'>=2.1')
IMPORTS='import zmq, numpy, msgpack, gymnasium, pygame'

usage() {
  echo "usage: $0 [--wheelhouse DIR] [--python PYTHON] VENV_DIR" >&2
  echo "  --wheelhouse DIR  install only from the wheels in DIR (pip --no-index --find-links DIR); also RAD_WHEELHOUSE" >&2
  echo "  --python PYTHON   the interpreter to build the venv from; also RAD_VENV_PYTHON" >&2
  exit 2
}

fail() {
  echo "make_venv: $*" >&2
  exit 1
}

wheelhouse="${RAD_WHEELHOUSE:-}"
python="${RAD_VENV_PYTHON:-}"
venv=""
while [ $# -gt 0 ]; do
  case "$1" in
    --wheelhouse) [ $# -ge 2 ] || fail "--wheelhouse needs a folder"; wheelhouse="$2"; shift 2 ;;
    --wheelhouse=*) wheelhouse="${1#*=}"; shift ;;
    --python) [ $# -ge 2 ] || fail "--python needs an interpreter"; python="$2"; shift 2 ;;
    --python=*) python="${1#*=}"; shift ;;
    -h|--help) usage ;;
    -*) echo "make_venv: unknown option $1" >&2; usage ;;
    *) [ -z "$venv" ] || fail "one venv folder expected, got \"$venv\" and \"$1\""; venv="$1"; shift ;;
  esac
done
[ -n "$venv" ] || usage

if [ -n "$wheelhouse" ]; then
  [ -d "$wheelhouse" ] || fail "wheelhouse \"$wheelhouse\" is not a folder"
  wheelhouse="$(cd "$wheelhouse" && pwd)"
  # Name the missing package up front: pip's own message buries it.
  missing=()
  for requirement in "${REQUIREMENTS[@]}"; do
    name="${requirement%%[<>=]*}"
    compgen -G "$wheelhouse/${name}-*.whl" >/dev/null || missing+=("$name")
  done
  [ ${#missing[@]} -eq 0 ] || fail "wheelhouse \"$wheelhouse\" has no wheel for: ${missing[*]} (needed: ${REQUIREMENTS[*]})"
  source_description="wheelhouse $wheelhouse"
  # --isolated: no pip.conf or PIP_* find-links or extra index may add other sources.
  pip_source=(--isolated --no-index --find-links "$wheelhouse")
else
  source_description="the package index"
  pip_source=()
fi

# What the venv was built from; a venv with the same stamp that imports everything is reused.
stamp="requirements: ${REQUIREMENTS[*]}"
stamp_file="$venv/.rad-bridge-venv"
if [ -x "$venv/bin/python" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] \
  && "$venv/bin/python" -c "$IMPORTS" >/dev/null 2>&1; then
  echo "make_venv: $venv is ready ($("$venv/bin/python" --version 2>&1)); nothing to do"
  exit 0
fi

can_make_venv() {
  "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 9) else 1)' >/dev/null 2>&1
}

if [ -n "$python" ]; then
  command -v "$python" >/dev/null 2>&1 || fail "interpreter \"$python\" not found"
  can_make_venv "$python" || fail "interpreter \"$python\" cannot make a venv with pip (needs Python >= 3.9 with the venv and ensurepip modules; Debian: apt-get install python3-venv)"
else
  candidates=(/root/.pyenv/versions/3.11.7/bin/python python3.11 python3)
  for candidate in "${candidates[@]}"; do
    if command -v "$candidate" >/dev/null 2>&1 && can_make_venv "$candidate"; then
      python="$candidate"
      break
    fi
  done
  [ -n "$python" ] || fail "none of ${candidates[*]} can make a venv with pip (needs Python >= 3.9 with venv and ensurepip; Debian: apt-get install python3-venv); pass one with --python"
fi

# Only a venv (or an empty folder) is replaced: never delete a folder the user meant for something else.
if [ -e "$venv" ] && [ ! -f "$venv/pyvenv.cfg" ] && [ -n "$(ls -A "$venv" 2>/dev/null)" ]; then
  fail "\"$venv\" exists and is not a venv (no pyvenv.cfg); give a new or empty folder"
fi
echo "make_venv: building $venv with $("$python" --version 2>&1) ($python) from $source_description"
rm -rf "$venv"
"$python" -m venv "$venv" || fail "\"$python -m venv $venv\" failed"
log="$venv/pip-install.log"
if ! "$venv/bin/python" -m pip install --no-input --disable-pip-version-check \
  "${pip_source[@]}" "${REQUIREMENTS[@]}" >"$log" 2>&1; then
  tail -n 15 "$log" >&2
  rm -f "$stamp_file"
  missing="$(sed -n 's/.*No matching distribution found for \(.*\)/\1/p' "$log" | head -n 1)"
  hint=""
  [ -n "$missing" ] && hint=": no suitable distribution of \"$missing\" for $("$venv/bin/python" --version 2>&1)"
  [ -n "$wheelhouse" ] && [ -n "$missing" ] && hint="$hint (add its wheel to the wheelhouse)"
  fail "pip could not install ${REQUIREMENTS[*]} from $source_description$hint; full log: $log"
fi
"$venv/bin/python" -c "$IMPORTS" || fail "the new venv $venv cannot import its packages ($IMPORTS); see $log"
echo "$stamp" >"$stamp_file"
"$venv/bin/python" -c 'import zmq, numpy, msgpack, gymnasium, pygame; print("make_venv: ready: pyzmq", zmq.__version__, "numpy", numpy.__version__, "msgpack", ".".join(map(str, msgpack.version)), "gymnasium", gymnasium.__version__, "pygame", pygame.version.ver)'
