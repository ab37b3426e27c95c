"""Two process-wide settings the engine wants, made by one explicit call at start-up
(`configure_process()`: the API's lifespan, each worker process, the CLI, the benchmarks),
never on import — importing a library should not change its host process.

- One BLAS thread: the engine's matrix products (pHash/dHash resampling, colour conversion)
  are a few hundred thousand multiply-adds each; OpenBLAS's helper threads only spin on them
  (measured: twice the CPU for the same wall time) and take the core that the service's
  other image, or the next worker process, needs.
- Pillow keeps freed memory blocks for reuse: by default every new 1080×1440 canvas is fresh
  memory from the kernel, and its page faults made the colour step of a full render cost
  4–5 ms instead of about 1 (measured in a 1,000-rep batch). At most `pillow_blocks` × 16 MB
  stay reserved.
"""

from __future__ import annotations

import numpy  # noqa: F401  (loaded first, so that threadpoolctl finds its BLAS)
from PIL import Image
from threadpoolctl import threadpool_limits

PILLOW_BLOCKS = 8


def configure_process(*, blas_threads: int = 1, pillow_blocks: int = PILLOW_BLOCKS) -> None:
    """Limit BLAS to `blas_threads` and let Pillow keep at least `pillow_blocks` freed blocks
    (0: leave Pillow's own setting, e.g. from PILLOW_BLOCKS_MAX). Idempotent."""
    threadpool_limits(blas_threads, user_api="blas")
    if pillow_blocks and Image.core.get_blocks_max() < pillow_blocks:
        Image.core.set_blocks_max(pillow_blocks)
