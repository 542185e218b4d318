import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
NUMPY_EXAMPLE = ROOT / "tools" / "numpy_example"


def cli_path():
    """The pgoracle binary: $PGORACLE_BIN, the worktree's release or debug build, or PATH."""
    candidates = [os.environ.get("PGORACLE_BIN")]
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    candidates += [str(target / "release" / "pgoracle"), str(target / "debug" / "pgoracle"), shutil.which("pgoracle")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


@pytest.fixture(scope="session")
def cli():
    path = cli_path()
    if path is None:
        pytest.skip("the pgoracle binary is missing: build it with `cargo build --release` "
                    "(or set PGORACLE_BIN) to compare with the CLI")
    return path


def run_cli(path, args, text):
    return subprocess.run([path, *args], input=text, capture_output=True, text=True, check=False)
