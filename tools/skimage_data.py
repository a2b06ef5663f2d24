#!/usr/bin/env python3
"""Prints the folder of scikit-image's sample photos (astronaut.png, chelsea.png, ...), which the
CLI tests, tools/ and bench/ use as real photos. Debian's python3-skimage (scripts/setup.sh)
installs them for Debian's /usr/bin/python3, which the project's .venv does not see, so this asks
without importing skimage (importlib's find_spec) in order:
  1. $OQVL_SKIMAGE_DATA when set,
  2. the Python running this script,
  3. Debian's /usr/bin/python3.
Exits 1 with a message on stderr when no folder with the photos is found.
Usage: python3 tools/skimage_data.py        (or `from skimage_data import skimage_data_dir`)
"""
import importlib.util
import os
import subprocess
import sys

FIND = ("import importlib.util; s = importlib.util.find_spec('skimage'); "
        "print(s.submodule_search_locations[0] if s and s.submodule_search_locations else '')")
SYSTEM_PYTHON = "/usr/bin/python3"


def _has_photos(folder):
    return bool(folder) and os.path.isfile(os.path.join(folder, "astronaut.png"))


def skimage_data_dir():
    """The sample-photo folder, or None."""
    env = os.environ.get("OQVL_SKIMAGE_DATA")
    if env:
        return env if _has_photos(env) else None
    spec = importlib.util.find_spec("skimage")
    if spec and spec.submodule_search_locations:
        folder = os.path.join(spec.submodule_search_locations[0], "data")
        if _has_photos(folder):
            return folder
    if os.path.exists(SYSTEM_PYTHON) and os.path.realpath(sys.executable) != SYSTEM_PYTHON:
        try:
            out = subprocess.run([SYSTEM_PYTHON, "-c", FIND], capture_output=True, text=True,
                                 timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and _has_photos(os.path.join(out, "data")):
            return os.path.join(out, "data")
    return None


def require_skimage_data_dir():
    """The sample-photo folder; exits with a message when there is none."""
    folder = skimage_data_dir()
    if folder is None:
        sys.exit("scikit-image's sample photos were not found: install Debian's python3-skimage "
                 "(scripts/setup.sh) or set OQVL_SKIMAGE_DATA to a folder with astronaut.png")
    return folder


if __name__ == "__main__":
    print(require_skimage_data_dir())
