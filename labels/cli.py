"""``python -m labels stats|export|import|suggest|agreement``: label sets and field outlines,
from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from imagery.errors import ImageryError
from imagery.geotiff import check_output, read_raster
from imagery.raster import BANDS, Raster
from labels.agreement import agreement, of_annotator
from labels.export import FORMATS, export
from labels.features import LabelError
from labels.imports import read_labels
from labels.session import LabelSession
from labels.stats import area_by_class
from labels.suggest import LEARN_FROM, suggest, typical_area
from terminal import say

#: The largest raster ``suggest`` reads, in pixels a side (a 2.5 m image of 50 km).
SUGGEST_MAX_SIZE = 20_000


def _point(text: str) -> tuple[float, float]:
    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LON,LAT (e.g. 13.14,48.29)") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise argparse.ArgumentTypeError(f"{text!r} is not a longitude, latitude in degrees")
    return lon, lat


def _suggest_raster(path: Path) -> Raster:
    """The raster's bands for :func:`labels.suggest.suggest`, named as
    :func:`imagery.pixels.band_names` names them (a 3-band file is B04, B03, B02), and a file of
    4 x N bands without names as N acquisitions of B04, B03, B02, B08 (the first is used)."""
    raster, _ = read_raster(path, SUGGEST_MAX_SIZE)
    if "B04" in raster.bands:
        return raster
    if len(raster.bands) % len(BANDS):
        raise ImageryError(
            f"{path.name} has {len(raster.bands)} bands without names; expected B04, B03, B02 "
            "(and B08)"
        )
    return Raster(raster.data[: len(BANDS)], raster.crs, raster.transform, BANDS)


def _typical(path: Path, raster: Raster) -> float | None:
    """The typical area of the fields of label file ``path`` that lie on ``raster``
    (:func:`labels.suggest.typical_area`, measured in the raster's own CRS, in metres, as the
    Label page measures it).

    Raises:
        LabelError: no such file, or one that import refuses.
    """
    if not path.is_file():
        raise LabelError(f"there is no label file {path}")
    geometries = [f["geometry"] for f in read_labels(path, None)["features"]]
    return typical_area(geometries, raster, raster.crs.to_string())


def _agreement(args: argparse.Namespace) -> str:
    """The agreement of files ``args.a`` and ``args.b`` (or of two annotators), as JSON."""
    if args.b is None and not args.annotators:
        raise LabelError(
            "give a second file B, or --annotators NAME_A NAME_B to compare two annotators of A"
        )
    paths = (args.a, args.b or args.a)
    for path in paths:
        if not path.is_file():
            raise LabelError(f"there is no file {path}")
    sets = [read_labels(path, args.class_field) for path in dict.fromkeys(paths)]  # A once
    a, b = sets[0], sets[-1]
    if args.annotators:
        a, b = (
            of_annotator(s, name, path.name)
            for s, name, path in zip((a, b), args.annotators, paths, strict=True)
        )
    return json.dumps(agreement(a, b))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labels", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    st = sub.add_parser("stats", help="area (ha) and count per crop class")
    st.add_argument("set", type=Path)
    ex = sub.add_parser("export", help=f"export to {' '.join(FORMATS)}")
    ex.add_argument("set", type=Path)
    ex.add_argument("out", type=Path)
    grid = ex.add_mutually_exclusive_group()  # two ways to choose one grid: one at a time
    grid.add_argument(
        "--image",
        choices=["enhanced", "original"],
        default="enhanced",
        help="grid of a .tif mask (default: enhanced)",
    )
    grid.add_argument(
        "--like",
        type=Path,
        metavar="RASTER",
        help="a .tif mask on this raster's grid (CRS, transform, size) instead, for any set",
    )
    im = sub.add_parser(
        "import", help="add polygons from GeoJSON, GeoPackage, zipped Shapefile or GeoParquet"
    )
    im.add_argument("input", type=Path)
    im.add_argument("set", type=Path)
    im.add_argument("--class-field", default="crop_class")
    im.add_argument("--annotator", default="import")
    sg = sub.add_parser(
        "suggest",
        help="the field outline around each point, as GeoJSON (geometry null and a reason when "
        "there is none)",
    )
    sg.add_argument("raster", type=Path, help="GeoTIFF with bands B04, B03, B02 (and B08)")
    sg.add_argument("points", type=_point, nargs="+", metavar="LON,LAT")
    sg.add_argument(
        "--step",
        type=int,
        default=0,
        help="the page's Larger (1, 2, ...) or Smaller (-1, ...): the next outlines around each "
        "point, each at least 1.4 times larger (smaller) in area",
    )
    sg.add_argument(
        "--labelled",
        type=Path,
        metavar="FILE",
        help="fields already outlined (any polygon file import reads, with or without crop "
        f"classes): once {LEARN_FROM} lie on the image, outlines of about their size are "
        "preferred, as on the Label page",
    )
    ag = sub.add_parser(
        "agreement",
        help="how far two label files agree: polygons matched one to one at IoU >= 0.5, as JSON",
    )
    ag.add_argument(
        "a",
        type=Path,
        metavar="A",
        help="GeoJSON, GeoPackage, zipped Shapefile or GeoParquet, as import reads them",
    )
    ag.add_argument("b", type=Path, nargs="?", metavar="B", help="the other file (default: A)")
    ag.add_argument("--class-field", default="crop_class")
    ag.add_argument(
        "--annotators",
        nargs=2,
        metavar=("NAME_A", "NAME_B"),
        help="compare NAME_A's polygons in A with NAME_B's in B (or in A when B is not given)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "agreement":
            say(_agreement(args))
            return 0
        if args.command == "suggest":
            raster = _suggest_raster(args.raster)
            typical = _typical(args.labelled, raster) if args.labelled else None
            found = [
                suggest(raster, x, y, step=args.step, typical_m2=typical).feature()
                for x, y in args.points
            ]
            say(json.dumps({"type": "FeatureCollection", "features": found}))
            return 0
        session = LabelSession.of_file(args.set, getattr(args, "annotator", ""))
        if args.command != "import" and not args.set.is_file():
            raise LabelError(f"there is no label set {args.set}")
        if args.command == "stats":
            rows = area_by_class(session.load())
            total = sum(r["hectares"] for r in rows.values()) or 1.0
            say("| crop class | fields | hectares | share |")
            say("|---|---|---|---|")
            for crop, r in rows.items():
                say(
                    f"| {crop} | {int(r['fields'])} | {r['hectares']:.2f} | "
                    f"{r['hectares'] / total:.1%} |"
                )
        elif args.command == "export":
            if args.out.resolve() == args.set.resolve():
                raise LabelError(f"{args.out} is the label set itself; choose another file")
            check_output(args.out)  # a device such as /dev/full is never replaced
            export(session.load(), args.out, args.image, args.like)
            say(f"wrote {args.out}")
        else:
            report = session.import_file(args.input, args.class_field)
            for note in report.notes:
                say(f"note: {note}", sys.stderr)
            say(
                json.dumps(
                    {
                        "imported": report.imported,
                        "already_in_set": report.present,
                        "in_set": report.in_set,
                    }
                )
            )
    except (LabelError, ImageryError, OSError) as err:
        say(f"error: {err}", sys.stderr)
        return 1
    return 0
