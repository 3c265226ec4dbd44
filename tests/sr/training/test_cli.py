import numpy as np

from sr.training.cli import main
from tests.conftest import write_tif


def test_cli_evaluate_prints_a_table(austria, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SR_CACHE_DIR", str(tmp_path))
    code = main(
        [
            "evaluate",
            str(austria),
            "--pipelines",
            "bicubic",
            "--degradations",
            "lanczos",
            "--crop",
            "64",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "| image | degradation | pipeline | PSNR dB" in out
    assert out.count("| lanczos | bicubic |") == 2  # two dates
    assert out.count("| lanczos | bicubic+consistency |") == 2


def test_cli_evaluate_refuses_a_crop_too_small_to_degrade(austria, capsys):
    assert main(["evaluate", str(austria), "--crop", "-3", "--pipelines", "bicubic"]) == 1
    assert "--crop must be at least 32 px" in capsys.readouterr().err


def test_cli_evaluate_refuses_an_image_too_small_to_degrade(tmp_path, capsys):
    tiny = write_tif(tmp_path / "tiny.tif", np.full((4, 2, 2), 1200, np.uint16))
    assert main(["evaluate", str(tiny), "--pipelines", "bicubic"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: tiny.tif is 2 x 2 px; evaluation degrades it x4 and needs at least 32 x 32"
    ]
