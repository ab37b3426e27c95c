"""The engine's process settings are made by an explicit call, never by importing it."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, numpy
from threadpoolctl import threadpool_info
from PIL import Image
def state():
    blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    return {"blas": blas, "blocks": Image.core.get_blocks_max()}
before = state()
import variation.image
imported = state()
variation.image.configure_process()
print(json.dumps({"before": before, "imported": imported, "configured": state()}))
"""


def test_importing_changes_nothing_and_configure_process_sets_both() -> None:
    env = {"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "2"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    ).stdout
    state = json.loads(out)
    # Importing loads more BLAS libraries (scipy's) but limits none of them.
    assert state["before"]["blas"] and all(n == 2 for n in state["imported"]["blas"])
    assert state["imported"]["blocks"] == state["before"]["blocks"]
    assert all(n == 1 for n in state["configured"]["blas"])
    assert state["configured"]["blocks"] >= 8 > state["before"]["blocks"]
