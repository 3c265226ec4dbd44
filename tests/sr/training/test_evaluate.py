from sr.training.evaluate import BICUBIC_CONSISTENT, evaluate, table


def test_wald_evaluation_on_the_held_out_file(austria, tmp_path):
    rows = evaluate([austria], ["bicubic", "decrappify"], ["gaussian"], crop=96)
    assert {r["image"] for r in rows} == {f"{austria.stem}#1", f"{austria.stem}#2"}
    assert len(rows) == 6  # bicubic, decrappify and the reference bicubic+consistency, x 2 dates
    for r in rows:
        assert 20 < r["PSNR"] < 60 and 0 < r["SSIM"] <= 1 and r["SAM"] > 0
    by = {(r["image"], r["pipeline"]): r for r in rows}
    for date in ("#1", "#2"):
        plain, fixed = (
            by[austria.stem + date, "bicubic"],
            by[austria.stem + date, BICUBIC_CONSISTENT],
        )
        # it reproduces the 10 m input: a third of bicubic's departure (the quieting leaves the
        # part of it at the noise's level, docs/decisions.md "Quieting the grain")
        assert fixed["departure"] < 0.4 * plain["departure"]
    text = table(rows)
    assert text.count("\n") == 7 and "+0.00" in text
