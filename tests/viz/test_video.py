"""Videos of the arm: frames, overlay, files, config entries and the run command (real envs,
real ffmpeg, read back with imageio)."""

from __future__ import annotations

import json

import gymnasium as gym
import imageio.v2 as imageio
import numpy as np
import pytest

import neurocontrol  # noqa: F401  (registers the envs)
from neurocontrol.agents.factory import make_agent
from neurocontrol.cli.commands import main
from neurocontrol.envs.sim import camera_matrices
from neurocontrol.errors import ConfigError
from neurocontrol.experiment.protocol import ExperimentConfig, ScheduleEvent
from neurocontrol.experiment.training import start_run
from neurocontrol.loop.episode import run_episode
from neurocontrol.utils.config import from_dict
from neurocontrol.viz.video import VideoOptions, VideoRecorder, phase_labels, project_points

SMALL = VideoOptions(fps=20.0, width=96, height=64)  # a frame every 50 steps


def planar(render: bool = True) -> gym.Env:
    return gym.make("neurocontrol/PlanarReach-v0", render_mode="rgb_array" if render else None)


def read_frames(path) -> list[np.ndarray]:
    return imageio.mimread(path, memtest=False)


def test_a_short_video_has_one_frame_per_period_at_the_chosen_size(tmp_path) -> None:
    env = planar()
    try:
        agent = make_agent({"type": "osc"}, env, seed=0)
        with VideoRecorder(env, tmp_path / "arm.mp4", SMALL, title="osc") as recorder:
            run_episode(env, agent, seed=0, max_steps=500, callbacks=[recorder])
    finally:
        env.close()
    assert recorder.every == 50 and recorder.frames == 10
    frames = read_frames(tmp_path / "arm.mp4")
    assert len(frames) == 10
    assert frames[0].shape == (64, 96, 3) and frames[0].dtype == np.uint8
    assert [p.name for p in tmp_path.iterdir()] == ["arm.mp4"]  # no temporary left


def test_filming_leaves_the_episode_as_it_is(tmp_path) -> None:
    traces = []
    for render in (False, True):
        env = planar(render)
        try:
            agent = make_agent({"type": "osc"}, env, seed=0)
            curl = {"kind": "curl_field", "strength": 15.0, "onset": 0.1}
            callbacks = [VideoRecorder(env, tmp_path / "a.mp4", SMALL)] if render else []
            episode = run_episode(
                env, agent, seed=0, max_steps=300, callbacks=callbacks,
                options={"perturbation": curl},
            )  # fmt: skip
            for recorder in callbacks:
                recorder.close()
            traces.append(episode.trace["tracking_error"])
        finally:
            env.close()
    np.testing.assert_array_equal(traces[0], traces[1])


def test_the_overlay_marks_the_hand_where_the_renderer_draws_it() -> None:
    env = planar()
    try:
        unwrapped = env.unwrapped
        target, distance, yaw, pitch = unwrapped.camera
        width, height = 320, 240
        camera = camera_matrices(width, height, target, distance, yaw, pitch)
        # the camera's target point projects to the image centre
        np.testing.assert_allclose(
            project_points(np.array([target]), *camera, width, height)[0],
            [width / 2, height / 2],
            atol=1.0,
        )
        # the red target marker appears where its position projects
        env.reset(seed=0)
        unwrapped.render_size = (width, height)
        image = unwrapped.render().astype(int)
        x, y = project_points(np.array([unwrapped.task.target]), *camera, width, height)[0]
        red = (image[..., 0] > 150) & (image[..., 1] < 90) & (image[..., 2] < 90)
        around = red[round(y) - 4 : round(y) + 5, round(x) - 4 : round(x) + 5]
        assert around.sum() >= 20  # the sphere's disc covers the projected point
    finally:
        env.close()


def test_a_recorder_stopped_by_an_error_leaves_no_file(tmp_path) -> None:
    env = planar()
    try:
        with (
            pytest.raises(RuntimeError, match="stop"),
            VideoRecorder(env, tmp_path / "broken.mp4", SMALL) as recorder,
        ):
            obs, _ = env.reset(seed=0)
            recorder.add_frame(obs, 0.0)
            raise RuntimeError("stop")
    finally:
        env.close()
    assert list(tmp_path.iterdir()) == []


def test_the_caption_follows_the_schedule() -> None:
    label = phase_labels(
        [
            ScheduleEvent(1.0, {"kind": "curl_field", "strength": 15.0}, "curl field on"),
            ScheduleEvent(2.0, learning=False),
            ScheduleEvent(3.0, None, "curl field off"),
            ScheduleEvent(4.0, learning=True),
        ]
    )
    assert [label(t) for t in (0.0, 1.5, 2.5, 3.5, 4.5)] == [
        "no perturbation",
        "curl field on",
        "curl field on - learning frozen",
        "curl field off - learning frozen",
        "curl field off",
    ]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda tmp: VideoRecorder(planar(render=False), tmp / "a.mp4"), "render_mode='rgb_array'"),
        (lambda tmp: VideoRecorder(planar(), tmp / "a.gif"), r"must end in \.mp4; got .*a\.gif"),
        (lambda tmp: VideoOptions(width=97), r"video\.width must be even .*got 97"),
        (lambda tmp: VideoOptions(fps=0), "video.fps"),
        (lambda tmp: VideoOptions(file="sub/v.mp4"), r"video\.file must be a file name"),
        (lambda tmp: VideoOptions.from_spec({"frames": 3}), r"unknown keys \['frames'\]"),
        (lambda tmp: VideoOptions.from_spec("yes"), "video must be true or a mapping"),
    ],
)
def test_bad_video_settings_are_refused(make, match, tmp_path) -> None:
    with pytest.raises(ConfigError, match=match):
        make(tmp_path)


def test_a_config_refuses_a_video_of_an_agent_or_seed_it_does_not_run() -> None:
    base = {"agents": {"base": {"type": "osc"}}, "seeds": [0, 1]}
    with pytest.raises(ConfigError, match=r"video\.agent must be one of the agents \(base\)"):
        from_dict(ExperimentConfig, {**base, "video": {"agent": "other"}})
    with pytest.raises(ConfigError, match=r"video\.seed must be one of the seeds \[0, 1\]; got 5"):
        from_dict(ExperimentConfig, {**base, "video": {"seed": 5}})


SHORT = {
    "name": "film",
    "env": {"kwargs": {"movement_time": 0.2, "hold_time": 0.05}},
    "agents": {"spiking": {"type": "adaptive_spiking", "n_neurons": 50}, "base": {"type": "osc"}},
    "schedule": [
        {"at": 0.5, "perturbation": {"kind": "curl_field", "strength": 15.0}, "label": "curl on"}
    ],
    "duration": 1.0,
    "seeds": [0, 1],
}


@pytest.fixture(scope="module")
def filmed_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("film")
    video = {"fps": 10, "width": 96, "height": 64, "agent": "base", "seed": 1}
    run, _ = start_run(from_dict(ExperimentConfig, {**SHORT, "video": video}), root)
    return run


def test_a_config_video_films_the_chosen_episode_into_the_run(filmed_run) -> None:
    frames = read_frames(filmed_run.file("video.mp4"))
    assert len(frames) == 10 and frames[0].shape == (64, 96, 3)


@pytest.mark.parametrize("replay", [["--schedule"], []], ids=["schedule", "implied"])
def test_run_replays_the_schedule_on_film(filmed_run, tmp_path, capsys, replay) -> None:
    out = tmp_path / "replay.mp4"
    args = ["run", str(filmed_run.path), *replay, "--video", str(out), "--json"]
    assert main([*args, "--fps", "20", "--size", "96", "64"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["schedule"] is True and summary["sim_time_s"] == pytest.approx(1.0)
    assert summary["video"]["frames"] == 20
    assert len(read_frames(out)) == 20


def test_run_refuses_a_schedule_and_a_perturbation_together(filmed_run, capsys) -> None:
    code = main(["run", str(filmed_run.path), "--schedule", "--perturbation", "{}"])
    assert code == 2
    assert "not allowed with argument --schedule" in capsys.readouterr().err


def test_a_film_with_a_perturbation_does_not_replay_the_schedule(filmed_run, tmp_path, capsys):
    out = tmp_path / "field.mp4"
    args = ["run", str(filmed_run.path), "--video", str(out), "--json", "--duration", "0.5"]
    field = '{"kind": "curl_field", "strength": 15}'
    assert main([*args, "--perturbation", field, "--fps", "10", "--size", "96", "64"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["schedule"] is False and summary["video"]["frames"] == 5
