# Sourced (not run) by the scripts, tests/cli/lib.sh and bench/run_*.sh: picks the project's
# Python and, when it is a virtual environment's, puts its bin/ first on PATH, so `python3` in
# those scripts is that Python.
#   OQVL_PYTHON   the Python to use (default: <repo>/.venv/bin/python when it exists, which
#                 scripts/setup.sh creates, else python3 from PATH)
# Exports OQVL_PYTHON (an absolute path when one was found) and PATH.
_oqvl_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${OQVL_PYTHON:-}" ]; then
  if [ -x "$_oqvl_root/.venv/bin/python" ]; then
    OQVL_PYTHON=$_oqvl_root/.venv/bin/python
  else
    OQVL_PYTHON=$(command -v python3 || echo python3)
  fi
fi
case "$OQVL_PYTHON" in  # a relative path with a folder: make it absolute
  /*) ;;
  */*) OQVL_PYTHON=$(cd "$(dirname "$OQVL_PYTHON")" && pwd)/$(basename "$OQVL_PYTHON") ;;
esac
export OQVL_PYTHON
# `python3` must mean OQVL_PYTHON: put a venv's bin/ (it holds only Python's own programs) first
# on PATH. Other folders (/usr/bin...) are left where they are: they would shadow other tools.
_oqvl_pydir=$(dirname "$OQVL_PYTHON")
if [ -f "$_oqvl_pydir/../pyvenv.cfg" ] && [ -x "$_oqvl_pydir/python3" ] && [ "${PATH%%:*}" != "$_oqvl_pydir" ]; then
  PATH="$_oqvl_pydir:$PATH"
fi
export PATH
unset _oqvl_root _oqvl_pydir
