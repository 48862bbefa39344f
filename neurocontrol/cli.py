"""The ``neurocontrol`` command line: thin; library functions do the work."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

__all__ = ["build_parser", "main"]


def _cmd_envs(args: argparse.Namespace) -> int:
    from neurocontrol.registration import ENV_IDS

    for env_id in ENV_IDS:
        print(env_id)
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from neurocontrol.bench import run_args

    run_args(args)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    import json

    from neurocontrol.demo import format_summary, run_demo

    result = run_demo(
        duration=args.duration, onset=args.onset, curl_strength=args.curl, seed=args.seed
    )
    print(json.dumps(result, indent=2) if args.json else format_summary(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``neurocontrol`` console script."""
    from neurocontrol.bench import build_parser as build_bench_parser

    parser = argparse.ArgumentParser(
        prog="neurocontrol",
        description="Closed-loop neuromorphic robot control: PyBullet arms at 1 kHz driven by "
        "spiking networks with on-line learning.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    envs = commands.add_parser("envs", help="list the Gymnasium environment ids")
    envs.set_defaults(handler=_cmd_envs)

    demo = commands.add_parser(
        "demo", help="headless PlanarReach episode: PD control, a curl field switching on"
    )
    demo.add_argument("--duration", type=float, default=12.0, help="simulated seconds (12)")
    demo.add_argument("--onset", type=float, default=6.0, help="curl field onset, s (6)")
    demo.add_argument("--curl", type=float, default=15.0, help="curl field strength, N·s/m (15)")
    demo.add_argument("--seed", type=int, default=0, help="episode seed (0)")
    demo.add_argument("--json", action="store_true", help="print the figures as JSON")
    demo.set_defaults(handler=_cmd_demo)

    bench = commands.add_parser("bench", help="run a benchmark suite and print its figures")
    build_bench_parser(bench)
    bench.set_defaults(handler=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``neurocontrol`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
