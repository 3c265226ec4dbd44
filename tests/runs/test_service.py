"""The process's job manager of each result cache."""

from runs.service import manager


def test_one_manager_per_cache_in_a_process(tmp_path, monkeypatch):
    monkeypatch.setenv("SR_CACHE_DIR", str(tmp_path))
    assert manager() is manager(tmp_path)
    assert manager(tmp_path / "other") is not manager()


def test_jobs_run_on_ray_when_an_address_is_set(tmp_path, monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "local")
    assert manager(tmp_path / "ray").runner.__qualname__ == "ray_runner.<locals>.run"
    monkeypatch.delenv("RAY_ADDRESS")
    assert manager(tmp_path / "here").runner.__qualname__ == "local_runner.<locals>.run"
