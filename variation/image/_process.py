"""Two process-wide settings the engine makes when it is imported, and why.

- One BLAS thread: the engine's matrix products (pHash/dHash resampling, colour conversion)
  are a few hundred thousand multiply-adds each; OpenBLAS's helper threads only spin on them
  (measured: twice the CPU for the same wall time) and take the core that the service's
  other image, or the next worker process, needs.
- Pillow keeps freed memory blocks for reuse (unless PILLOW_BLOCKS_MAX says otherwise): by
  default every new 1080×1440 canvas is fresh memory from the kernel, and its page faults
  made the colour step of a full render cost 4–5 ms instead of about 1 (measured in a
  1,000-rep batch). At most `_BLOCKS` × 16 MB stay reserved.
"""

from __future__ import annotations

import os

import numpy  # noqa: F401  (loaded first, so that threadpoolctl finds its BLAS)
from PIL import Image
from threadpoolctl import threadpool_limits

_BLOCKS = 8


def configure() -> None:
    threadpool_limits(1, user_api="blas")
    if "PILLOW_BLOCKS_MAX" not in os.environ and Image.core.get_blocks_max() < _BLOCKS:
        Image.core.set_blocks_max(_BLOCKS)
