"""Command line of the training lab: ``python -m sr.training train``, ``evaluate`` (the
reduced-resolution evaluation) and ``dip-dataset`` (DIP outputs of training patches)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import torch

import settings
from sr.cache import ResultCache
from sr.cli import reported
from sr.enhance import DEFAULT_PRESET, PIPELINES, PRESETS
from sr.training.data import TRAIN_SCENES, VAL_SCENES
from sr.training.dip_dataset import build
from sr.training.evaluate import evaluate, table
from sr.training.train import TrainConfig, train
from terminal import say

log = logging.getLogger("sr.training")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sr.training", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

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

    tr = sub.add_parser("train", help="train the Decrappify U-Net (see sr/training/train.py)")
    tr.add_argument(
        "images", nargs="*", type=Path, help="GeoTIFFs of 10 m bands (default: the training scenes)"
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

    dd = sub.add_parser(
        "dip-dataset", help="DIP outputs of training patches (sr/training/dip_dataset.py)"
    )
    dd.add_argument("output", type=Path)
    dd.add_argument("--patches", type=int, default=32)
    dd.add_argument("--preset", default=DEFAULT_PRESET, choices=PRESETS)
    dd.add_argument("--seed", type=int, default=0)
    dd.add_argument("--threads", type=int, default=2)

    args = parser.parse_args(argv)
    commands = {"evaluate": _evaluate, "train": _train, "dip-dataset": _dip_dataset}
    return reported(lambda: commands[args.command](args))


def _evaluate(args: argparse.Namespace) -> None:
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


def _train(args: argparse.Namespace) -> None:
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


def _dip_dataset(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    log.info("wrote %s", build(args.output, args.patches, args.preset, args.seed))
