"""Command line: ``python -m sr enhance IN.tif OUT.tif``, ``enhance-region``, ``evaluate``,
``train``, ``dip-dataset``."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import pystac
import torch
from rasterio.errors import RasterioError

import settings
from imagery.clouds import cloud_warning
from imagery.errors import UserError
from imagery.geotiff import check_output, read_raster, write_raster
from imagery.local import scenes_in_file
from imagery.read import MAX_SIZE
from imagery.scene import Scene
from imagery.stac import item_to_scene
from sr.cache import ResultCache
from sr.cluster import enhance_region
from sr.dip_dataset import build
from sr.enhance import DEFAULT_PRESET, PIPELINES, PRESETS, Progress, check_scale, enhance
from sr.errors import EnhanceError
from sr.evaluate import evaluate, table
from sr.region import RegionRequest
from sr.train import TRAIN_SCENES, VAL_SCENES, TrainConfig, train
from terminal import log_to_terminal, say

log = logging.getLogger("sr")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sr", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    enh = sub.add_parser("enhance", help="super-resolve a GeoTIFF")
    enh.add_argument("input", type=Path)
    enh.add_argument("output", type=Path)
    enh.add_argument("--pipeline", default="bicubic", choices=sorted(PIPELINES))
    enh.add_argument("--scale", type=int, default=4)
    enh.add_argument("--device", default=None, help="cpu, cuda, ... (default: CUDA if present)")
    enh.add_argument(
        "--preset", default=DEFAULT_PRESET, choices=PRESETS, help="Deep Image Prior settings"
    )
    enh.add_argument("--max-size", type=int, default=MAX_SIZE, help="largest side in pixels")
    enh.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    enh.add_argument(
        "--no-consistency",
        action="store_true",
        help="skip the data-consistency step (see sr/consistency.py)",
    )

    ev = sub.add_parser("evaluate", help="reduced-resolution (Wald) evaluation")
    ev.add_argument("rasters", nargs="+", type=Path)
    ev.add_argument("--scale", type=int, default=4)
    ev.add_argument("--pipelines", nargs="+", default=list(PIPELINES), choices=list(PIPELINES))
    ev.add_argument(
        "--degradations",
        nargs="+",
        default=["lanczos", "gaussian"],
        choices=["lanczos", "gaussian"],
    )
    ev.add_argument("--preset", default=DEFAULT_PRESET, choices=PRESETS)
    ev.add_argument("--device", default=None)
    ev.add_argument("--crop", type=int, default=None, help="centred square of this many px")
    ev.add_argument("--no-consistency", action="store_true", help="skip the data-consistency step")

    tr = sub.add_parser("train", help="train the Decrappify U-Net (see sr/train.py)")
    tr.add_argument(
        "images", nargs="*", type=Path, help="GeoTIFFs of 10 m bands (default: sr.train's list)"
    )
    tr.add_argument(
        "--val", nargs="*", type=Path, default=None, help="validation GeoTIFFs (default: Denmark)"
    )
    tr.add_argument("--feature-weight", type=float, default=TrainConfig.feature_weight)
    tr.add_argument("--gram-weight", type=float, default=TrainConfig.gram_weight)
    tr.add_argument("--out", type=Path, default=Path(TrainConfig.out))
    tr.add_argument("--minutes", type=float, default=TrainConfig.minutes, help="safety stop")
    tr.add_argument("--steps", type=int, default=TrainConfig.steps)
    tr.add_argument("--batch", type=int, default=TrainConfig.batch)
    tr.add_argument("--threads", type=int, default=TrainConfig.threads)
    tr.add_argument("--log-every", type=int, default=TrainConfig.log_every)
    tr.add_argument("--seed", type=int, default=TrainConfig.seed)
    tr.add_argument("--lr", type=float, default=TrainConfig.lr, help="decoder; encoder lr / 10")
    tr.add_argument("--init", default="", help="start from these weights instead of ImageNet")
    tr.add_argument("--dip-pairs", default="", help="a file of `dip-dataset`: the chain's inputs")
    tr.add_argument("--dip-fraction", type=float, default=TrainConfig.dip_fraction)
    tr.add_argument(
        "--consistent-weight",
        type=float,
        default=TrainConfig.consistent_weight,
        help="share of the loss taken after the data-consistency step",
    )

    reg = sub.add_parser(
        "enhance-region",
        help="a whole raster in tiles on Ray, to a COG and a STAC Item (sr/region.py)",
    )
    reg.add_argument("input", type=Path, nargs="?", help="a GeoTIFF of B04, B03, B02, B08")
    reg.add_argument("out_dir", type=Path)
    reg.add_argument("--stac-item", default="", help="read the COG bands of this STAC Item URL")
    reg.add_argument("--pipeline", default="decrappify", choices=sorted(PIPELINES))
    reg.add_argument("--preset", default=DEFAULT_PRESET, choices=PRESETS)
    reg.add_argument("--tile", type=positive, default=256, help="tile side in input pixels")
    reg.add_argument("--workers", type=positive, default=2, help="workers of a local Ray instance")
    reg.add_argument(
        "--address", default=settings.ray_address(), help="a Ray cluster (default $RAY_ADDRESS)"
    )
    reg.add_argument("--no-ray", action="store_true", help="compute the tiles in this process")
    reg.add_argument(
        "--acquisition", type=int, default=1, help="which acquisition of a multi-date file (1..N)"
    )
    reg.add_argument("--no-consistency", action="store_true", help="skip the data-consistency step")

    dd = sub.add_parser("dip-dataset", help="DIP outputs of training patches (sr/dip_dataset.py)")
    dd.add_argument("output", type=Path)
    dd.add_argument("--patches", type=int, default=32)
    dd.add_argument("--preset", default=DEFAULT_PRESET, choices=PRESETS)
    dd.add_argument("--seed", type=int, default=0)
    dd.add_argument("--threads", type=int, default=2)

    args = parser.parse_args(argv)
    log_to_terminal()
    logging.getLogger("rasterio").setLevel(logging.CRITICAL)  # GDAL's errors become our one line
    try:
        if args.command == "enhance":
            if args.output.resolve() == args.input.resolve():
                raise EnhanceError(
                    f"the output {args.output} is the input file; choose another output path"
                )
            check_output(args.output)  # before anything is computed
            raster, dtype = read_raster(args.input, args.max_size)
            check_scale(raster, args.scale)  # before anything else is computed on it
            warning = cloud_warning(raster)
            if warning:
                log.warning("warning: %s", warning)

            shown = {-1}

            def report(p: Progress) -> None:
                step = int(p.fraction * 20)  # one line per 5 %
                if step not in shown:
                    shown.add(step)
                    log.info("%3.0f%% %s", 100 * p.fraction, p.message)

            cache = None if args.no_cache else ResultCache(settings.cache_dir())
            result = enhance(
                raster,
                args.pipeline,
                args.scale,
                args.device,
                report,
                args.preset,
                cache,
                consistent=not args.no_consistency,
            )
            write_raster(result, args.output, dtype)
            log.info("wrote %s (%d x %d px)", args.output, result.width, result.height)
        elif args.command == "enhance-region":
            region = enhance_region(
                RegionRequest(
                    region_scene(args.input, args.stac_item, args.acquisition),
                    args.input.stem if args.input else args.stac_item.rstrip("/").split("/")[-1],
                    args.pipeline,
                    args.preset,
                    args.tile,
                    consistent=not args.no_consistency,
                ),
                args.out_dir,
                args.workers,
                args.address,
                TileBar(),
                use_ray=not args.no_ray,
            )
            log.info(
                "wrote %s and its STAC Item: %d tiles computed (%.2f tiles/s), %d skipped; "
                "peak memory per worker %s MiB",
                region.cog,
                region.computed,
                region.tiles_per_second,
                region.skipped,
                ", ".join(f"{m:.0f}" for m in region.peak_mib.values()) or "-",
            )
        elif args.command == "evaluate":
            rows = evaluate(
                args.rasters,
                args.pipelines,
                args.degradations,
                args.scale,
                args.preset,
                args.device,
                ResultCache(settings.cache_dir()),
                args.crop,
                consistent=not args.no_consistency,
            )
            say(table(rows))
        elif args.command == "dip-dataset":
            torch.set_num_threads(args.threads)
            log.info("wrote %s", build(args.output, args.patches, args.preset, args.seed))
        else:
            cfg = TrainConfig(
                images=tuple(str(p) for p in args.images) or TRAIN_SCENES,
                val_images=VAL_SCENES if args.val is None else tuple(str(p) for p in args.val),
                feature_weight=args.feature_weight,
                gram_weight=args.gram_weight,
                out=str(args.out),
                minutes=args.minutes,
                steps=args.steps,
                batch=args.batch,
                threads=args.threads,
                log_every=args.log_every,
                seed=args.seed,
                lr=args.lr,
                init=args.init,
                dip_pairs=args.dip_pairs,
                dip_fraction=args.dip_fraction,
                consistent_weight=args.consistent_weight,
            )
            log.info("trained: %s", train(cfg))
    except (UserError, ValueError, OSError) as err:
        say(f"error: {err}", sys.stderr)
        return 1
    except MemoryError:  # a size the checks did not foresee: one line, not a traceback
        say("error: not enough memory for this raster: enhance a smaller area", sys.stderr)
        return 1
    return 0


def positive(text: str) -> int:
    """An argument that must be a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def region_scene(path: Path | None, item_url: str, acquisition: int) -> Scene:
    """The scene a region run reads: a local GeoTIFF's acquisition or a STAC Item's COGs.

    Raises:
        EnhanceError: neither or both given, no such acquisition, or an unusable item.
    """
    if bool(path) == bool(item_url):
        raise EnhanceError("give either an input GeoTIFF or --stac-item URL")
    if item_url:
        try:
            scene = item_to_scene(pystac.Item.from_file(item_url))
        except (OSError, ValueError, KeyError, pystac.STACError) as err:
            raise EnhanceError(f"cannot read the STAC Item {item_url}: {err}") from err
        if scene is None:
            raise EnhanceError(f"the STAC Item {item_url} lacks the bands B04, B03, B02, B08")
        return scene
    assert path is not None
    try:
        scenes = scenes_in_file(path)
    except (RasterioError, ValueError) as err:
        raise EnhanceError(f"cannot read {path}: {err}") from err
    if not 1 <= acquisition <= len(scenes):
        raise EnhanceError(f"{path.name} holds {len(scenes)} acquisition(s), not {acquisition}")
    return scenes[acquisition - 1]


class TileBar:
    """A progress bar on the terminal: tiles done, tiles per second, time left (a line every
    10 % when stderr is not a terminal)."""

    def __init__(self) -> None:
        self.start, self.shown = time.monotonic(), -1
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int, skipped: int) -> None:
        computed, elapsed = done - skipped, time.monotonic() - self.start
        rate = computed / elapsed if elapsed > 0 and computed else 0.0
        eta = f"{(total - done) / rate:.0f} s left" if rate else "time left unknown"
        width = 30
        bar = "#" * (width * done // max(total, 1))
        line = (
            f"[{bar:<{width}}] {done}/{total} tiles ({skipped} from an earlier run), "
            f"{rate:.2f} tiles/s, {eta}"
        )
        if self.tty:
            print(f"\r{line}", end="\n" if done == total else "", file=sys.stderr, flush=True)
        elif 10 * done // max(total, 1) != self.shown:
            self.shown = 10 * done // max(total, 1)
            print(line, file=sys.stderr, flush=True)
