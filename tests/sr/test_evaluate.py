from sr.evaluate import evaluate, table


def test_wald_evaluation_on_the_held_out_file(austria, tmp_path):
    rows = evaluate([austria], ["bicubic", "decrappify"], ["gaussian"], crop=96)
    assert {r["image"] for r in rows} == {f"{austria.stem}#1", f"{austria.stem}#2"}
    assert len(rows) == 4
    for r in rows:
        assert 20 < r["PSNR"] < 60 and 0 < r["SSIM"] <= 1 and r["SAM"] > 0
    text = table(rows)
    assert text.count("\n") == 5 and "+0.00" in text
