"""The ``neurocontrol`` command line: thin; library functions do the work.

neurocontrol train                      the main job (curl field on PlanarReach)
neurocontrol train --config launch/curl_planar.yaml
neurocontrol compare --config launch/payload_panda.yaml --seeds 0 1 2
neurocontrol train --resume runs/curl-quick-20261127-101500   finish a stopped run
neurocontrol run runs/curl-quick-20261127-101500     evaluate a trained run
neurocontrol run runs/curl-quick-20261127-101500 --video arm.mp4 --duration 24
neurocontrol export runs/curl-quick-20261127-101500 --nir controller.nir --lossy
neurocontrol sweep --config launch/sweep_curl_tradeoff.yaml [--address auto]
neurocontrol bench snn | envs | rules | loop
neurocontrol bench ab --against HEAD~1 agent '{"type": "adaptive_spiking"}'
neurocontrol envs
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from neurocontrol.utils.arguments import (
    finite_float,
    json_value,
    nonnegative_float,
    nonnegative_int,
    positive_float,
    positive_int,
)

__all__ = ["build_parser", "main"]


class UsageError(Exception):
    """A command line argparse refused: its message is the one line to print."""


class _Parser(argparse.ArgumentParser):
    """Reports a bad argument as one line (``neurocontrol bench envs: error: ...``).

    Its sub-command parsers are of this class too; :func:`main` prints the
    line and returns 2, as for a :class:`~neurocontrol.errors.NeuroControlError`.
    """

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def _cmd_envs(args: argparse.Namespace) -> int:
    from neurocontrol.utils.registration import ENV_IDS

    if args.json:
        from neurocontrol.cli.envinfo import describe_envs

        print(json.dumps(describe_envs(), indent=2))
        return 0
    for env_id in ENV_IDS:
        print(env_id)
    return 0


def _configure_logging(args: argparse.Namespace) -> None:
    """Diagnostics go to stderr through ``logging``: warnings by default, more with --verbose."""
    verbose, quiet = getattr(args, "verbose", False), getattr(args, "quiet", False)
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("neurocontrol: %(message)s"))
    root = logging.getLogger("neurocontrol")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _cmd_bench(args: argparse.Namespace) -> int:
    from neurocontrol.bench import run_args

    run_args(args)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from neurocontrol.experiment.demo import format_summary, run_demo

    result = run_demo(
        duration=args.duration, onset=args.onset, curl_strength=args.curl, seed=args.seed
    )
    print(json.dumps(result, indent=2) if args.json else format_summary(result))
    return 0


def _experiment_config(args: argparse.Namespace) -> Any:
    import dataclasses

    from neurocontrol.experiment.protocol import ExperimentConfig, default_config
    from neurocontrol.utils.config import load_yaml

    config = load_yaml(args.config, ExperimentConfig) if args.config else default_config()
    changes: dict[str, Any] = {}
    if args.duration is not None:
        changes["duration"] = args.duration
    if args.seeds is not None:
        changes["seeds"] = list(args.seeds)
    if args.name is not None:
        changes["name"] = args.name
    if args.tensorboard:
        changes["tensorboard"] = True
    config = dataclasses.replace(config, **changes) if changes else config
    if args.set:
        from neurocontrol.utils.dotted import apply_overrides

        config = apply_overrides(config, dict(args.set), where="--set")
    return config


def _cmd_experiment(args: argparse.Namespace) -> int:
    from neurocontrol.errors import RunInterrupted
    from neurocontrol.experiment.training import resume_run, start_run

    progress = not args.json and not args.quiet
    try:
        if args.resume is not None:
            _refuse_overrides_on_resume(args)
            run, result = resume_run(args.resume, progress=progress)
        else:
            out = "runs" if args.out is None else args.out
            run, result = start_run(_experiment_config(args), out, progress=progress)
    except RunInterrupted as exc:
        if exc.run_path is None:
            kept = "before the run started; nothing was written"
        else:
            kept = (
                f"kept {exc.done} of {exc.total} episodes in {exc.run_path}; finish it with: "
                f"neurocontrol {args.command} --resume {exc.run_path}"
            )
        print(f"neurocontrol {args.command}: {exc}; {kept}", file=sys.stderr)
        return 128 + exc.signal_number
    if args.json:
        print(json.dumps({"run_dir": str(run.path), **result.summary()}, indent=2))
    else:
        for line in result.format_table():
            print(line)
        if args.command == "compare":
            for line in result.format_paired():
                print(line)
        logging.getLogger("neurocontrol").info("results, plots and checkpoint in %s", run.path)
        if result.config.tensorboard:
            logging.getLogger("neurocontrol").info(
                "watch it: tensorboard --logdir %s", run.path / "tensorboard"
            )
    return 0


def _refuse_overrides_on_resume(args: argparse.Namespace) -> None:
    from neurocontrol.errors import ConfigError

    given = [
        f"--{name}"
        for name in ("config", "duration", "seeds", "name", "out", "set")
        if getattr(args, name) is not None
    ] + (["--tensorboard"] if args.tensorboard else [])
    if given:
        raise ConfigError(
            f"--resume continues a run with the config it started with; drop {', '.join(given)}"
        )


def _cmd_sweep(args: argparse.Namespace) -> int:
    from neurocontrol.errors import ConfigError, RunInterrupted
    from neurocontrol.sweep import run_sweep

    if (args.config is None) == (args.resume is None):
        raise ConfigError("give a sweep file (--config launch/sweep_X.yaml) or --resume SWEEP_DIR")
    try:
        outcome = run_sweep(
            args.config,
            "sweeps" if args.out is None else args.out,
            address=args.address,
            resume=args.resume,
            progress=not args.json,
            max_workers=args.max_workers,
        )
    except RunInterrupted as exc:
        print(
            f"neurocontrol sweep: {exc}; kept {exc.done} of {exc.total} trials and sweep.csv in "
            f"{exc.run_path}; finish it with: neurocontrol sweep --resume {exc.run_path}",
            file=sys.stderr,
        )
        return 128 + exc.signal_number
    summary = {
        "sweep_dir": str(outcome.path),
        "trials": outcome.counts,
        "best": outcome.best,
        "ray_start_s": outcome.ray_start_s,
        "wall_s": outcome.wall_s,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for metric, best in outcome.best.items():
            print(f"best {metric}: {best['value']:.4g} ({best['agent']}, seed {best['seed']}, "
                  f"trial {best['trial']})")  # fmt: skip
        print(f"sweep.csv and plots in {outcome.path}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from neurocontrol.experiment.evaluate import evaluate_run

    video_options = None
    if args.video is not None:
        from neurocontrol.viz.video import VideoOptions

        video_options = VideoOptions(fps=args.fps, width=args.size[0], height=args.size[1])
    summary = evaluate_run(
        Path(args.run),
        duration=args.duration,
        seed=args.seed,
        perturbation=args.perturbation,
        # a film without --perturbation shows what the run went through: its schedule
        schedule=args.schedule or (args.video is not None and args.perturbation is None),
        video=args.video,
        video_options=video_options,
    )
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for line in summary["table"]:
            print(line)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    import warnings

    from neurocontrol.interchange.nir_io import export_run, nir_summary

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph = export_run(Path(args.run), Path(args.nir), lossy=args.lossy)
    summary = nir_summary(graph)
    print(f"wrote {args.nir}: {len(summary['nodes'])} NIR nodes, dt {graph.metadata['dt']} s")
    for name, kind in summary["nodes"].items():
        print(f"  {name}: {kind}")
    for omission in json.loads(graph.metadata["omitted"]):
        print(f"omitted: {omission}")
    for warning in caught:
        if not str(warning.message).startswith("to_nir:"):
            print(f"warning: {warning.message}", file=sys.stderr)
    return 0


def _assignment(text: str) -> tuple[str, Any]:
    import argparse

    from neurocontrol.errors import ConfigError
    from neurocontrol.utils.dotted import parse_assignment

    try:
        return parse_assignment(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_experiment_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="experiment YAML (default: the built-in curl-field run)")
    parser.add_argument(
        "--duration", type=positive_float, help="override: simulated seconds per seed"
    )
    parser.add_argument("--seeds", type=nonnegative_int, nargs="+", help="override: seeds to run")
    parser.add_argument("--name", help="override: run name")
    parser.add_argument(
        "--set",
        type=_assignment,
        action="append",
        metavar="KEY=VALUE",
        help="override any config value by its dotted key (repeatable), e.g. "
        "--set 'agents.\"spiking (PES)\".learning_rate=1e-6'",
    )
    parser.add_argument("--out", help="folder for run directories (runs)")
    parser.add_argument(
        "--resume",
        metavar="RUN",
        help="finish an interrupted or failed run directory: only its missing episodes run",
    )
    parser.add_argument(
        "--tensorboard",
        action="store_true",
        help="log per-cycle figures to <run>/tensorboard as the run goes (config key tensorboard)",
    )
    _add_logging_arguments(parser, quiet_help="no progress bar; warnings and errors only")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.set_defaults(handler=_cmd_experiment)


def _add_logging_arguments(parser: argparse.ArgumentParser, quiet_help: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--verbose", action="store_true", help="more diagnostics on stderr")
    group.add_argument("--quiet", action="store_true", help=quiet_help)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``neurocontrol`` console script."""
    from neurocontrol.bench import build_parser as build_bench_parser

    parser = _Parser(
        prog="neurocontrol",
        description="Closed-loop neuromorphic robot control: PyBullet arms at 1 kHz driven by "
        "spiking networks with on-line learning, beside dense baselines.",
        epilog="examples: neurocontrol train | neurocontrol train --config "
        "launch/payload_panda.yaml --seeds 0 1 2 | neurocontrol run runs/<run> | "
        "neurocontrol bench loop. Each command has its own --help.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train controllers in an adaptation experiment and write runs/<name>-<time>/",
        description="Run an experiment config: every agent it lists on the same seeds and "
        "perturbation schedule. Without --config: the adaptive spiking controller, its rate twin, "
        "the hybrid of the two and the base controller on PlanarReach, a curl field switching "
        "on at 12 s and off at 36 s. Prints RMS tracking error before, just after and after "
        "adaptation. Example configs: launch/*.yaml.",
    )
    _add_experiment_arguments(train)

    compare = commands.add_parser(
        "compare",
        help="paired comparison: several controllers, same seeds and schedule, side by side",
        description="Like train, and adds paired differences per seed (the first agent against "
        "each other one).",
    )
    _add_experiment_arguments(compare)

    run = commands.add_parser(
        "run",
        help="evaluate a trained run directory headless",
        description="Load the checkpoint and env of a run directory written by train, run one "
        "episode and print its tracking error and latency.",
    )
    run.add_argument("run", help="run directory (holds config.yaml and checkpoint.*)")
    run.add_argument(
        "--duration",
        type=positive_float,
        help="simulated seconds (12; with --schedule the run's duration)",
    )
    run.add_argument("--seed", type=nonnegative_int, default=100, help="episode seed (100)")
    given = run.add_mutually_exclusive_group()
    given.add_argument(
        "--perturbation",
        type=json_value,
        help='perturbation as JSON, e.g. \'{"kind": "curl_field", "strength": 15}\' (none)',
    )
    given.add_argument(
        "--schedule",
        action="store_true",
        help="replay the run's schedule: its perturbations and learning switches",
    )
    run.add_argument(
        "--video",
        metavar="FILE.mp4",
        help="film the episode (reference, hand path and phase drawn on; headless); "
        "replays the run's schedule unless --perturbation is given",
    )
    run.add_argument(
        "--fps", type=positive_float, default=30.0, help="video frames per simulated second (30)"
    )
    run.add_argument(
        "--size",
        type=positive_int,
        nargs=2,
        default=[480, 360],
        metavar=("WIDTH", "HEIGHT"),
        help="video frame size in pixels, even numbers (480 360)",
    )
    _add_logging_arguments(run, quiet_help="warnings and errors only")
    run.add_argument("--json", action="store_true", help="print the figures as JSON")
    run.set_defaults(handler=_cmd_run)

    export = commands.add_parser(
        "export",
        help="write a run's trained controller as a NIR graph",
        description="Load the checkpoint of a run directory and write its spiking network as a "
        "NIR (Neuromorphic Intermediate Representation) HDF5 file. What NIR cannot hold "
        "(refractoriness, send-on-delta input, learning rules, the base controller) is "
        "refused, listed, unless --lossy writes the nearest frozen form with the omissions in "
        "the graph's metadata.",
    )
    export.add_argument("run", help="run directory (holds config.yaml and checkpoint.*)")
    export.add_argument("--nir", required=True, help="output file, e.g. controller.nir")
    export.add_argument(
        "--lossy", action="store_true", help="write the nearest frozen form, omissions listed"
    )
    export.set_defaults(handler=_cmd_export)

    sweep = commands.add_parser(
        "sweep",
        help="parameter sweep of an experiment on Ray Tune (local, or a cluster)",
        description="Run a sweep file (launch/sweep_*.yaml): a base experiment, a search space "
        "over dotted keys, seeds, metrics. Starts a local Ray with this machine's cores, or joins "
        "a cluster with --address. Writes sweeps/<name>-<time>/ (sweep.csv, plots, one run "
        "directory per trial).",
    )
    sweep.add_argument("--config", help="sweep file (YAML)")
    sweep.add_argument("--out", help="folder for sweep directories (sweeps)")
    sweep.add_argument(
        "--address",
        help="join a running Ray cluster: auto, HOST:PORT or ray://HOST:PORT (default: start a "
        "local Ray)",
    )
    sweep.add_argument(
        "--resume", metavar="SWEEP_DIR", help="continue a stopped sweep: only unfinished trials run"
    )
    sweep.add_argument(
        "--max-workers", type=positive_int, help="trials at once at most (default: the CPUs)"
    )
    sweep.add_argument("--json", action="store_true", help="print the figures as JSON")
    sweep.set_defaults(handler=_cmd_sweep)

    bench = commands.add_parser("bench", help="run a benchmark suite and print its figures")
    build_bench_parser(bench)
    bench.set_defaults(handler=_cmd_bench)

    envs = commands.add_parser("envs", help="list the Gymnasium environment ids")
    envs.add_argument(
        "--json",
        action="store_true",
        help="each id with its action and observation spaces and control rate, as JSON",
    )
    envs.set_defaults(handler=_cmd_envs)

    demo = commands.add_parser(
        "demo", help="headless PlanarReach episode: PD control, a curl field switching on"
    )
    demo.add_argument(
        "--duration", type=positive_float, default=12.0, help="simulated seconds (12)"
    )
    demo.add_argument(
        "--onset", type=nonnegative_float, default=6.0, help="curl field onset, s (6)"
    )
    demo.add_argument(
        "--curl", type=finite_float, default=15.0, help="curl field strength, N·s/m (15)"
    )
    demo.add_argument("--seed", type=nonnegative_int, default=0, help="episode seed (0)")
    demo.add_argument("--json", action="store_true", help="print the figures as JSON")
    demo.set_defaults(handler=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``neurocontrol`` console script."""
    from neurocontrol.errors import NeuroControlError

    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    _configure_logging(args)
    try:
        return int(args.handler(args))
    except NeuroControlError as exc:
        print(f"neurocontrol {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C outside a training run (which handles its own)
        print(f"neurocontrol {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
