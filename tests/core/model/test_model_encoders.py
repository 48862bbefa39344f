"""Descriptions of signal inputs, encoders, outputs and rate models: refusals and the JSON form.

Bad descriptions are refused where they are made (or, for what needs the
step length or the built projection, when the network is built, before
anything is compiled), with a message naming the class, field or rule and
projection, the value and what is accepted.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurocontrol.core.builder.plasticity import build_synaptic_scaling
from neurocontrol.core.builder.rules import RuleBuild, RuleContext
from neurocontrol.core.model import (
    LIF,
    PES,
    AdaptiveThreshold,
    AllToAll,
    FixedProbability,
    Input,
    Network,
    OneToOne,
    PairSTDP,
    Population,
    Projection,
    RewardSTDP,
    SynapticScaling,
    TripletSTDP,
    WeightNormalization,
)
from neurocontrol.core.model.encoders import CurrentEncoder, ReceptiveFieldEncoder
from neurocontrol.core.model.network import Output, SignalInput
from neurocontrol.core.model.neurons import LIFRate
from neurocontrol.core.model.serialize import network_from_config, network_to_config
from neurocontrol.core.simulator import Simulator
from neurocontrol.errors import ConfigError, ShapeError

SIGNAL = SignalInput(2, name="sig")
ENS = Population(4, LIF(), name="ens")
AFF = Input(6, name="aff")
RATE = Population(3, LIFRate(), name="rate")
OUT = Output(2, tau=0.01, name="out")


def current_encoder(**changes) -> CurrentEncoder:
    values = {"pre": SIGNAL, "post": ENS, "encoders": np.ones((4, 2)), **changes}
    return CurrentEncoder(**values)


def field_encoder(**changes) -> ReceptiveFieldEncoder:
    values = {"pre": SIGNAL, "post": AFF, "per_signal": 3, "low": -1.0, "high": 1.0, **changes}
    return ReceptiveFieldEncoder(**values)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"pre": ENS}, ConfigError, r"CurrentEncoder.pre must be a SignalInput, got Population"),
        ({"post": AFF}, ConfigError, r"CurrentEncoder.post must be a Population, got Input"),
        ({"encoders": np.ones((2, 4))}, ShapeError,
         r"encoders must have shape \(4, 2\) \(post neurons, signal dimensions\), got \(2, 4\)"),
        ({"encoders": np.full((4, 2), np.nan)}, ConfigError,
         r"CurrentEncoder.encoders must be finite"),
        ({"gains": np.ones(3)}, ShapeError,
         r"CurrentEncoder.gains must be a scalar or have shape \(4,\), got \(3,\)"),
        ({"biases": [[0.0]] * 4}, ShapeError, r"CurrentEncoder.biases must be a scalar or"),
        ({"center": np.zeros(3)}, ShapeError, r"CurrentEncoder.center .* shape \(2,\), got \(3,\)"),
        ({"radius": [1.0, 0.0]}, ConfigError, r"CurrentEncoder.radius must be > 0, got 0.0"),
        ({"radius": -2.0}, ConfigError, r"CurrentEncoder.radius must be > 0, got -2.0"),
        ({"radius": np.inf}, ConfigError, r"CurrentEncoder.radius must be finite"),
        ({"delta": 0.0}, ConfigError, r"CurrentEncoder.delta must be a finite number > 0"),
        ({"delta": np.nan}, ConfigError, r"CurrentEncoder.delta must be a finite number > 0"),
        ({"max_events_per_step": 0}, ConfigError,
         r"CurrentEncoder.max_events_per_step must be an integer >= 1, got 0"),
        ({"max_events_per_step": 256}, ConfigError,
         r"max_events_per_step must be an integer in \[1, 255\], got 256"),
        ({"max_events_per_step": 2.5}, ConfigError,
         r"max_events_per_step must be an integer, got 2.5"),
        ({"name": "a.b"}, ConfigError, r"CurrentEncoder.name must be a non-empty string"),
    ],
)  # fmt: skip
def test_current_encoder_refusals(changes, error, message):
    with pytest.raises(error, match=message):
        current_encoder(**changes)


def test_current_encoder_defaults_and_affine_map():
    encoder = current_encoder(gains=[1.0, 2.0, 3.0, 4.0], center=[0.5, -1.0], radius=[2.0, 0.5])
    assert encoder.name == "sig_to_ens" and encoder.delta is None
    np.testing.assert_array_equal(encoder.biases, np.zeros(4))
    x = np.array([1.5, 0.25])
    currents = encoder.gains * (encoder.encoders @ ((x - encoder.center) / encoder.radius))
    np.testing.assert_allclose(encoder.weights @ x + encoder.offset, currents, rtol=1e-12)
    assert not encoder.encoders.flags.writeable and not encoder.gains.flags.writeable


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"post": ENS}, ConfigError, r"ReceptiveFieldEncoder.post must be an Input, got "),
        ({"pre": AFF}, ConfigError, r"ReceptiveFieldEncoder.pre must be a SignalInput"),
        ({"per_signal": 1}, ConfigError, r"per_signal must be an integer >= 2, got 1"),
        ({"per_signal": 4}, ShapeError,
         r"Input 'aff' has 6 afferents; 2 dimensions x per_signal=4 need 8"),
        ({"low": [0.0, 1.0], "high": [1.0, 1.0]}, ConfigError,
         r"high\[1\] must be > low\[1\] = 1.0, got 1.0"),
        ({"low": np.zeros(3)}, ShapeError, r"ReceptiveFieldEncoder.low must be a scalar or"),
        ({"high": np.nan}, ConfigError, r"ReceptiveFieldEncoder.high must be finite"),
        ({"max_rate": 0.0}, ConfigError, r"max_rate must be a finite number > 0, got 0.0"),
        ({"width": [0.1, 0.0]}, ConfigError, r"ReceptiveFieldEncoder.width must be > 0"),
    ],
)  # fmt: skip
def test_receptive_field_encoder_refusals(changes, error, message):
    with pytest.raises(error, match=message):
        field_encoder(**changes)


def test_receptive_fields_are_evenly_spaced_with_the_spacing_as_width():
    encoder = field_encoder(low=[-1.0, 0.0], high=[1.0, 3.0])
    np.testing.assert_allclose(encoder.centers, [-1.0, 0.0, 1.0, 0.0, 1.5, 3.0])
    np.testing.assert_allclose(encoder.widths, [1.0, 1.5])
    np.testing.assert_allclose(field_encoder(width=0.3).widths, [0.3, 0.3])


def test_a_peak_probability_above_one_per_step_is_refused_at_build():
    network = Network([SIGNAL, AFF], encoders=[field_encoder(max_rate=2000.0)])
    with pytest.raises(
        ConfigError,
        match=r"ReceptiveFieldEncoder 'sig_to_aff': max_rate \* dt must be <= 1 \(one spike per "
        r"step\), got 2000.0 \* 0.001 = 2.0",
    ):
        Simulator(network, dt=1e-3)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Output(0, name="o"), r"Output.n must be an integer >= 1, got 0"),
        (lambda: Output(2, tau=0.0, name="o"), r"Output.tau must be a finite number > 0, got 0.0"),
        (lambda: Output(2, tau=-0.01, name="o"), r"Output.tau must be a finite number > 0"),
        (lambda: Output(2, tau=0.01), r"Output.name must be given"),
        (lambda: Output(2, name="o.v"), r"Output.name must be a non-empty string"),
        (lambda: SignalInput(2, name=None), r"SignalInput.name must be given"),
        (lambda: SignalInput(0, name="s"), r"SignalInput.n must be an integer >= 1"),
        (lambda: LIFRate(v_reset=1.0), r"LIFRate: v_reset must be < v_th"),
        (lambda: LIFRate(tau_ref=-0.001), r"LIFRate.tau_ref must be a finite number >= 0"),
        (lambda: LIFRate(r_m=0.0), r"LIFRate.r_m must be a finite number > 0"),
        (lambda: LIFRate(tau_syn=0.0), r"LIFRate.tau_syn must be a finite number > 0"),
    ],
)
def test_node_and_rate_model_refusals(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Projection(ENS, OUT, FixedProbability(0.5), 0.1),
         r"Projection onto Output 'out' must be AllToAll \(a dense readout\), got FixedProb"),
        (lambda: Projection(ENS, Output(4, name="o"), OneToOne(), 0.1),
         r"must be AllToAll \(a dense readout\), got OneToOne"),
        (lambda: Projection(ENS, OUT, AllToAll(), 0.1, delay=1),
         r"Output 'out' delivers in the step of its spikes; delay must be 0, got 1"),
        (lambda: Projection(OUT, ENS, AllToAll(), 0.1),
         r"Projection.pre must be a Population or Input, got Output"),
        (lambda: Projection(SIGNAL, ENS, AllToAll(), 0.1),
         r"Projection.pre must be a Population or Input, got SignalInput"),
        (lambda: Projection(ENS, SIGNAL, AllToAll(), 0.1),
         r"Projection.post must be a Population or Output, got SignalInput"),
    ],
)  # fmt: skip
def test_projection_refusals(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_network_refusals_of_encoders():
    first, second = current_encoder(), current_encoder(name="again")
    with pytest.raises(ConfigError, match=r"'ens' is the target of two encoders"):
        Network([SIGNAL, ENS], encoders=[first, second])
    with pytest.raises(
        ConfigError,
        match=r"Network: 'sig_to_ens' connects 'sig', which is not one of the network's",
    ):
        Network([ENS], encoders=[first])
    with pytest.raises(ConfigError, match=r"'sig_to_ens' connects 'ens', which is not one of"):
        Network([SIGNAL], encoders=[first])
    with pytest.raises(ConfigError, match=r"Network: duplicate name 'ens'"):
        Network([SIGNAL, ENS], encoders=[current_encoder(name="ens")])
    with pytest.raises(ConfigError, match=r"Network.encoders must hold encoders"):
        Network([SIGNAL, ENS], encoders=[PES()])
    with pytest.raises(ConfigError, match=r"Network: duplicate population name 'sig'"):
        Network([SIGNAL, SignalInput(1, name="sig")])


def rule_network(rule, pre, post) -> Network:
    return Network(
        [AFF, RATE, ENS, OUT],
        [Projection(pre, post, AllToAll(), 0.1, rule=rule, name="plastic")],
    )


SPIKING_RULES = [PairSTDP(), RewardSTDP(), TripletSTDP()]


NO_POST_SPIKES = r"postsynaptic neurons \(an Output or rate model emits no spikes\)"
NO_PRE_SPIKES = r"presynaptic neurons \(a rate model delivers no spikes\)"
#: (rule, pre, post, the side without spikes); synaptic scaling needs postsynaptic spikes only
REFUSED = [
    *[(rule, AFF, RATE, NO_POST_SPIKES) for rule in [*SPIKING_RULES, SynapticScaling()]],
    *[(rule, ENS, OUT, NO_POST_SPIKES) for rule in [*SPIKING_RULES, SynapticScaling()]],
    *[(rule, RATE, ENS, NO_PRE_SPIKES) for rule in SPIKING_RULES],
]


@pytest.mark.parametrize(
    ("rule", "pre", "post", "side"),
    REFUSED,
    ids=[f"{rule.kind}-{pre.name}-{post.name}" for rule, pre, post, _ in REFUSED],
)
def test_rules_that_need_spikes_are_refused_where_there_are_none(rule, pre, post, side):
    with pytest.raises(
        ConfigError,
        match=rf"{type(rule).__name__} on projection 'plastic' needs spiking {side}; rules "
        r"for rate models and outputs: PES",
    ):
        Simulator(rule_network(rule, pre, post))


def rule_context(**changes) -> RuleContext:
    values = {"projection_name": "plastic", "projection_index": 0, "n_pre": 3, "n_post": 4,
              "n_syn": 12, "dense": True, "dt": 1e-3, "max_in_degree": 3, **changes}  # fmt: skip
    return RuleContext(**values)


def test_synaptic_scaling_takes_rate_presynaptic_neurons():
    built = build_synaptic_scaling(SynapticScaling(), rule_context(pre_rates=True))
    assert isinstance(built, RuleBuild) and built.episode_state == ("rate",)


def test_homeostasis_onto_an_output_is_refused():
    with pytest.raises(
        ConfigError,
        match=r"AdaptiveThreshold on projection 'plastic' needs an AdaptiveLIF postsynaptic "
        r"population .* got Output",
    ):
        Simulator(rule_network(AdaptiveThreshold(), ENS, OUT))
    with pytest.raises(
        ConfigError, match=r"WeightNormalization on projection 'plastic' onto Output 'out'"
    ):
        Simulator(rule_network(WeightNormalization(total=1.0), ENS, OUT))


@pytest.mark.parametrize("connectivity", [FixedProbability(0.5), OneToOne()])
def test_a_rate_population_projects_densely(connectivity):
    lif = Population(3, LIF(), name="lif")
    network = Network([RATE, lif], [Projection(RATE, lif, connectivity, 0.1, name="sparse")])
    with pytest.raises(
        ConfigError,
        match=rf"projection 'sparse' from rate-model population 'rate' must be AllToAll "
        rf"\(dense\): rates are delivered row by row, got {type(connectivity).__name__}",
    ):
        Simulator(network)


def test_the_json_form_round_trips_signal_inputs_outputs_encoders_and_rate_models(
    make_signal_network,
):
    network = make_signal_network(delta=0.25, max_events=7, per_signal=5)
    config, arrays = network_to_config(network)
    config = json.loads(json.dumps(config))  # JSON-able
    restored = network_from_config(config, arrays)
    again, again_arrays = network_to_config(restored)
    assert again == config and again_arrays.keys() == arrays.keys()
    for key, value in arrays.items():
        np.testing.assert_array_equal(again_arrays[key], value, err_msg=key)
    kinds = [type(node).__name__ for node in restored.populations]
    assert kinds == ["SignalInput", "SignalInput", "Input", "Input", "Population",
                     "Population", "Output"]  # fmt: skip
    assert isinstance(restored.node("rates").model, LIFRate)
    assert restored.node("out").tau == 0.01
    q_ens, q_rates, f_aff = restored.encoders
    assert (q_ens.delta, q_ens.max_events_per_step, q_rates.delta) == (0.25, 7, None)
    assert q_ens.pre is restored.node("q") and f_aff.post is restored.node("aff")
    np.testing.assert_array_equal(q_ens.weights, network.encoders[0].weights)
    np.testing.assert_array_equal(f_aff.centers, network.encoders[2].centers)


def test_the_json_form_of_a_network_without_encoders_is_unchanged_and_bad_ones_are_refused():
    config, arrays = network_to_config(Network([ENS, OUT], [Projection(ENS, OUT, name="ro")]))
    assert set(config) == {"populations", "projections"}
    assert network_from_config(config, arrays).encoders == ()
    config, arrays = network_to_config(Network([SIGNAL, ENS], encoders=[current_encoder()]))
    wrong_type = {**config, "encoders": [{**config["encoders"][0], "type": "Camera"}]}
    with pytest.raises(ConfigError, match=r"unknown encoder type 'Camera'; known: CurrentEncoder"):
        network_from_config(wrong_type, arrays)
    wrong_node = {**config, "encoders": [{**config["encoders"][0], "post": "missing"}]}
    with pytest.raises(ConfigError, match=r"encoder 'sig_to_ens' names unknown node 'missing'"):
        network_from_config(wrong_node, arrays)
    wrong_kind = {**config, "populations": [{"type": "Camera", "n": 1, "name": "c"}]}
    with pytest.raises(ConfigError, match=r"unknown population type 'Camera'; known: Input"):
        network_from_config(wrong_kind, arrays)
