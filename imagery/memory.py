"""Whether this machine has the memory a raster needs, asked before it is allocated: a raster too
large is refused with one message instead of a MemoryError or the kernel killing the process."""

from __future__ import annotations

import os


def available_memory() -> int:
    """Bytes of memory this machine can give without swapping (``MemAvailable``)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def shortfall(need: int) -> str:
    """``""`` when ``need`` bytes are available, else what is needed and what there is."""
    free = available_memory()
    if need <= free:
        return ""
    return f"needs about {_size(need)} of memory and {_size(free)} is available"


def _size(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n / 2**10:.0f} KiB"
