"""Command line: ``python -m sr enhance IN.tif OUT.tif``, ``evaluate``, ``train``,
``dip-dataset``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch

import settings
from imagery.clouds import cloud_warning
from imagery.errors import UserError
from imagery.geotiff import read_raster, write_raster
from imagery.read import MAX_SIZE
from sr.cache import ResultCache
from sr.dip_dataset import build
from sr.enhance import DEFAULT_PRESET, PIPELINES, PRESETS, Progress, check_scale, enhance
from sr.errors import EnhanceError
from sr.evaluate import evaluate, table
from sr.train import TRAIN_SCENES, VAL_SCENES, TrainConfig, train

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

    dd = sub.add_parser("dip-dataset", help="DIP outputs of training patches (sr/dip_dataset.py)")
    dd.add_argument("output", type=Path)
    dd.add_argument("--patches", type=int, default=32)
    dd.add_argument("--preset", default=DEFAULT_PRESET, choices=PRESETS)
    dd.add_argument("--seed", type=int, default=0)
    dd.add_argument("--threads", type=int, default=2)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("rasterio").setLevel(logging.CRITICAL)  # GDAL's errors become our one line
    try:
        if args.command == "enhance":
            if args.output.resolve() == args.input.resolve():
                raise EnhanceError(
                    f"the output {args.output} is the input file; choose another output path"
                )
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
            print(table(rows))
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
            )
            log.info("trained: %s", train(cfg))
    except (UserError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except MemoryError:  # a size the checks did not foresee: one line, not a traceback
        print("error: not enough memory for this raster: enhance a smaller area", file=sys.stderr)
        return 1
    return 0
