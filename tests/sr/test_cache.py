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
    assert len(list(tmp_path.glob("*.npz"))) == 2


def test_a_tampered_or_misshapen_entry_is_computed_again_not_served(area, tmp_path):
    cache = ResultCache(tmp_path)
    good = enhance(area, "bicubic", 4, "cpu", cache=cache)
    (entry,) = tmp_path.glob("*.npz")
    with np.load(entry) as stored:
        data, checksum = stored["data"].copy(), stored["sha256"]
    data[:, :100, :100] = 0.9  # 10,000 wrong pixels, the checksum left as it was
    np.savez(entry, data=data, sha256=checksum)
    again = enhance(area, "bicubic", 4, "cpu", cache=cache)
    np.testing.assert_array_equal(again.data, good.data)
    key = entry.name.removesuffix(".npz")
    cache.put(key, np.zeros((4, 3, 3), np.float32))  # another shape, valid checksum
    np.testing.assert_array_equal(enhance(area, "bicubic", 4, "cpu", cache=cache).data, good.data)
    entry.write_bytes(b"not an array")
    np.testing.assert_array_equal(enhance(area, "bicubic", 4, "cpu", cache=cache).data, good.data)
