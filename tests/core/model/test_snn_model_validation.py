"""Bad model descriptions get clear errors naming the field, the value and what is accepted."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.builder import RULE_BUILDERS, build_network
from neurocontrol.core.model import (
    LIF,
    PES,
    AdaptiveLIF,
    AllToAll,
    ExplicitMatrix,
    FixedProbability,
    Input,
    Izhikevich,
    LearningRule,
    Network,
    Normal,
    OneToOne,
    PairSTDP,
    Population,
    Projection,
    SynapticScaling,
    Uniform,
)
from neurocontrol.core.model.serialize import from_config
from neurocontrol.core.simulator import Simulator
from neurocontrol.errors import BuildError, ConfigError, ShapeError


def test_neuron_parameters_are_validated():
    with pytest.raises(ConfigError, match=r"LIF.tau_m must be a finite number > 0, got -0.01"):
        LIF(tau_m=-0.01)
    with pytest.raises(ConfigError, match=r"v_reset must be < v_th.*v_reset=1.0, v_th=1.0"):
        LIF(v_reset=1.0)
    with pytest.raises(ConfigError, match=r"AdaptiveLIF.tau_adapt"):
        AdaptiveLIF(tau_adapt=0.0)
    with pytest.raises(ConfigError, match=r"tau_syn"):
        LIF(tau_syn=float("nan"))
    with pytest.raises(
        ConfigError, match=r"unknown Izhikevich preset 'bursty'; known presets: chattering"
    ):
        Izhikevich.preset("bursty")


def test_unknown_neuron_parameter_is_named():
    with pytest.raises(
        ConfigError, match=r"unknown parameter\(s\) \['tau'\] for LIF; accepted: tau_m"
    ):
        from_config({"type": "LIF", "tau": 0.02}, {})
    with pytest.raises(TypeError, match=r"tau"):
        LIF(tau=0.02)  # type: ignore[call-arg]


def test_projection_sizes_must_match():
    with pytest.raises(
        ShapeError,
        match=r"OneToOne connectivity needs populations of equal size, got n_pre=3, n_post=4",
    ):
        Projection(Input(3, name="a"), Population(4, LIF(), name="b"), OneToOne())
    with pytest.raises(
        ShapeError, match=r"must have shape \(n_pre, n_post\) = \(3, 4\), got \(4, 3\)"
    ):
        Projection(
            Input(3, name="a"), Population(4, LIF(), name="b"), ExplicitMatrix(np.ones((4, 3)))
        )
    with pytest.raises(ShapeError, match=r"Projection.weights must have shape \(3, 4\)"):
        Projection(Input(3, name="a"), Population(4, LIF(), name="b"), AllToAll(), np.ones((3, 3)))


def test_nan_weights_are_refused():
    matrix = np.ones((2, 2))
    matrix[1, 0] = np.nan
    with pytest.raises(ConfigError, match=r"ExplicitMatrix.matrix must be finite"):
        ExplicitMatrix(matrix)
    with pytest.raises(ConfigError, match=r"Projection.weights must be finite"):
        Projection(Input(2, name="a"), Population(2, LIF(), name="b"), AllToAll(), matrix)


@pytest.mark.parametrize("delay", [-1, 1.5, 2.0, "3", True])
def test_bad_delays_are_refused(delay):
    with pytest.raises(
        ConfigError, match=r"Projection.delay must be an integer number of steps >= 0"
    ):
        Projection(Input(2, name="a"), Population(2, LIF(), name="b"), delay=delay)


def test_rule_and_connectivity_parameters():
    with pytest.raises(ConfigError, match=r"w_min must be < w_max"):
        PairSTDP(w_min=1.0, w_max=0.5)
    with pytest.raises(ConfigError, match=r"PairSTDP.pairing must be one of"):
        PairSTDP(pairing="triplet")
    with pytest.raises(ConfigError, match=r"FixedProbability.p must be in \(0, 1\], got 1.5"):
        FixedProbability(1.5)
    with pytest.raises(ConfigError, match=r"is excitatory but its rule PairSTDP allows"):
        Projection(
            Input(2, name="a"),
            Population(2, LIF(), name="b"),
            rule=PairSTDP(w_min=-1.0),
            sign="excitatory",
        )
    with pytest.raises(ConfigError, match=r"is inhibitory but has weights of the wrong sign"):
        Projection(
            Input(2, name="a"), Population(2, LIF(), name="b"), weights=0.5, sign="inhibitory"
        )


def test_network_names_and_membership():
    a, b = Input(2, name="a"), Population(2, LIF(), name="b")
    with pytest.raises(ConfigError, match=r"duplicate population name 'b'"):
        Network([a, b, Population(3, LIF(), name="b")])
    outsider = Population(2, LIF(), name="c")
    with pytest.raises(ConfigError, match=r"connects 'c', which is not one of the network's"):
        Network([a, b], [Projection(a, outsider)])


def test_unknown_types_raise_build_error_naming_known_ones():
    class Mystery(LearningRule):
        pass

    net = Network([Input(2, name="a"), Population(2, LIF(), name="b")])
    with pytest.raises(
        BuildError, match=r"no learning rule builder for type Mystery; known types: .*PairSTDP"
    ):
        RULE_BUILDERS.lookup(Mystery())
    with pytest.raises(ConfigError, match=r"dt must be a finite number > 0"):
        build_network(net, dt=0.0)
    with pytest.raises(BuildError, match=r"not an integer number of steps"):
        build_network(Network([Population(2, LIF(tau_ref=0.0015), name="p")]), dt=1e-3)


def test_sign_constrained_initialisers_are_refused_not_clipped():
    a, b = Input(3, name="a"), Population(4, LIF(), name="b")
    with pytest.raises(ConfigError, match=r"'inh' is inhibitory \(weights <= 0\).*Uniform"):
        Projection(a, b, weights=Uniform(-0.1, 0.1), sign="inhibitory", name="inh")
    with pytest.raises(ConfigError, match=r"'exc' is excitatory \(weights >= 0\).*Normal"):
        Projection(a, b, weights=Normal(0.5, 0.1), sign="excitatory", name="exc")
    # One-signed initialisers are drawn and stored as they are (no clipping).
    inhibitory = Projection(a, b, weights=Uniform(-0.1, 0.0), sign="inhibitory", name="inh")
    constant = Projection(a, b, weights=Normal(0.2, 0.0), sign="excitatory", name="exc")
    sim = Simulator(Network([a, b], [inhibitory, constant]), seed=2)
    drawn = sim.state["inh.weights"]
    expected = np.random.default_rng(np.random.SeedSequence(2, spawn_key=(0,)))
    np.testing.assert_array_equal(drawn.ravel(), expected.uniform(-0.1, 0.0, 12).astype(np.float32))
    np.testing.assert_array_equal(sim.state["exc.weights"], np.float32(0.2))


def test_initial_weights_outside_a_rules_bounds_are_refused_not_clipped():
    a, b = Input(3, name="a"), Population(4, LIF(), name="b")
    stdp = PairSTDP(w_min=0.0, w_max=0.5)
    with pytest.raises(
        ConfigError,
        match=r"Projection 'big': initial weights range \[0\.6, 0\.6\], outside the bounds "
        r"\[0\.0, 0\.5\] of its rule PairSTDP",
    ):
        Projection(a, b, weights=0.6, rule=stdp, name="big")
    matrix = np.full((3, 4), 0.2)
    matrix[1, 2] = -0.1
    with pytest.raises(ConfigError, match=r"'m': initial weights range \[-0\.1, 0\.2\], outside"):
        Projection(a, b, ExplicitMatrix(matrix), rule=stdp, name="m")
    array = np.full((3, 4), 0.5)
    array[0, 0] = 0.7
    with pytest.raises(
        ConfigError, match=r"range \[0\.5, 0\.7\], outside the bounds \[0\.0, 0\.5\]"
    ):
        Projection(a, b, AllToAll(), array, rule=stdp)
    with pytest.raises(
        ConfigError,
        match=r"'u': initial weights Uniform\(low=0\.0, high=0\.6\) can be drawn in "
        r"\[0\.0, 0\.6\], outside the bounds \[0\.0, 0\.5\]",
    ):
        Projection(a, b, FixedProbability(0.5), Uniform(0.0, 0.6), rule=stdp, name="u")
    with pytest.raises(ConfigError, match=r"Normal\(mean=0\.2, std=0\.01\) can be drawn in \[-inf"):
        Projection(a, b, weights=Normal(0.2, 0.01), rule=stdp)
    # several rules: each one's bounds hold (here SynapticScaling's w_max = 0.3)
    with pytest.raises(ConfigError, match=r"\[0\.0, 0\.3\] of its rule SynapticScaling"):
        Projection(a, b, weights=0.4, rule=[stdp, SynapticScaling(w_max=0.3)])
    # within the bounds, the bounds included: accepted
    Projection(a, b, weights=Uniform(0.0, 0.5), rule=stdp)
    Projection(a, b, weights=Normal(0.5, 0.0), rule=stdp)
    Projection(a, b, ExplicitMatrix(np.clip(matrix, 0.0, None)), rule=stdp)
    Projection(a, b, weights=-3.0, rule=PES())  # a rule without bounds
