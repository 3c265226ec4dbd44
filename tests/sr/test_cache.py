import time

import numpy as np

from sr.cache import ResultCache
from sr.enhance import Progress, enhance


def test_cache_returns_the_same_result_at_once_and_chains_share_dip(area, tiny_dip, tmp_path):
    cache = ResultCache(tmp_path)
    start = time.perf_counter()
    first = enhance(area, "dip", 4, "cpu", cache=cache)
    fit_time = time.perf_counter() - start
    steps: list[Progress] = []
    start = time.perf_counter()
    again = enhance(area, "dip", 4, "cpu", steps.append, cache=cache)
    assert time.perf_counter() - start < fit_time / 5
    assert np.array_equal(first.data, again.data)
    assert any("from the cache" in s.message for s in steps)
    steps.clear()
    enhance(area, "dip+decrappify", 4, "cpu", steps.append, cache=cache)
    assert not any("Deep Image Prior" in s.message for s in steps)  # reused the DIP stage
    assert len(list(tmp_path.glob("*.npy"))) == 2
