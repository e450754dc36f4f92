"""One shared local backend per test process, so every test module reuses a single load.

Test modules call `shared_local_backend` from a session-scoped fixture; the cache folder
under the pytest temp dir means the first call exercises the real GGUF dequantization.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from agent.llm.config import LLMConfig
from agent.llm.local import LocalBackend


@cache
def shared_local_backend(cache_dir: Path) -> LocalBackend:
    """The default model loaded through ``cache_dir`` once per process (greedy, batch 8).

    One torch thread: tests share the machine with other test processes, where two threads
    per call measured 16x slower than one.
    """
    return LocalBackend.load(LLMConfig(cache_dir=cache_dir, num_threads=1))
