"""Where the providers' published specs are: `$PROVIDER_SPECS_DIR`, else `shared/specs` beside
the project (as on the team's machines), else the workplace's copy at /work/shared/specs (a CI
clone may live elsewhere). Tests that need a spec skip, saying where they looked, if none has it."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def candidates():
    env = os.environ.get("PROVIDER_SPECS_DIR")
    return [Path(p) for p in (env, ROOT.parent / "shared" / "specs", "/work/shared/specs") if p]


def spec_path(filename):
    """The first existing copy of `filename`, or the first candidate (for messages)."""
    for folder in candidates():
        if (folder / filename).exists():
            return folder / filename
    return candidates()[0] / filename


def require_spec(filename):
    path = spec_path(filename)
    if not path.exists():
        pytest.skip(f"{filename} not found in {', '.join(map(str, candidates()))} "
                    f"(set PROVIDER_SPECS_DIR)")
    return path
