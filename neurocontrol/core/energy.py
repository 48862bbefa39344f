"""The energy estimate of a network's operation counts (SynOps, neuron updates, MACs).

Compute is counted in synaptic operations (SynOps: one spike delivered to
one synapse) for spiking networks and multiply-accumulates (MACs) for dense
arithmetic (:attr:`neurocontrol.core.simulator.Simulator.operations`), and
turned into energy with per-operation constants whose source is stated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from neurocontrol.utils.validation import require_nonnegative

__all__ = ["EnergyModel"]


@dataclass(frozen=True)
class EnergyModel:
    r"""Per-operation energies for a compute-cost estimate.

    .. math::

        E_{spiking} = N_{SynOp} \, e_{synop} + N_{neuron\ updates} \, e_{neuron}, \qquad
        E_{dense} = N_{MAC} \, e_{mac}

    The defaults are the 45 nm CMOS figures of Horowitz (2014), "Computing's
    energy problem (and what we can do about it)", ISSCC: a 32-bit float add
    (0.9 pJ) for a SynOp, which accumulates one weight, and a 32-bit float
    multiply plus add (3.7 + 0.9 = 4.6 pJ) for a MAC. Neuron state updates are
    counted at one MAC each by default (a leaky integration is a multiply-add).
    :meth:`loihi` gives Intel Loihi's measured figures instead (Davies et al.
    2018, IEEE Micro 38(1):82-99: 23.6 pJ per synaptic spike operation, 52 pJ
    per neuron update), for an estimate on neuromorphic hardware.

    What each side counts per step (the base controller, identical on both
    sides of a hybrid, on neither) is its network's own count
    (:attr:`neurocontrol.core.simulator.Simulator.operations`): for the adaptive
    spiking controller (:class:`~neurocontrol.agents.adaptive.AdaptiveController`)
    one neuron update per state variable per neuron and step, a SynOp per
    input event and target neuron, per spike and output (decoding) and per
    decoder add of event-driven PES, and MACs for whatever it computes
    densely (input currents or receptive fields, output synapses, the scaled
    error); for its rate twin MACs for its encoding, rate nonlinearity
    (counted as one: a lower bound), decoding and PES. Memory traffic is
    counted on neither side.

    All energies are in joules per operation.
    """

    e_synop: float = 0.9e-12
    e_mac: float = 4.6e-12
    e_neuron_update: float = 4.6e-12
    source: str = "Horowitz 2014 (ISSCC), 45 nm, 32-bit float"

    def __post_init__(self) -> None:
        for name in ("e_synop", "e_mac", "e_neuron_update"):
            require_nonnegative(f"EnergyModel.{name}", getattr(self, name))

    @classmethod
    def loihi(cls) -> EnergyModel:
        """Figures measured on Intel Loihi (Davies et al. 2018) for the spiking side."""
        return cls(
            e_synop=23.6e-12,
            e_mac=4.6e-12,
            e_neuron_update=52e-12,
            source="spiking: Davies et al. 2018 (Loihi); dense: Horowitz 2014, 45 nm float32",
        )

    def spiking_energy(self, synops: float, neuron_updates: float) -> float:
        """Energy (J) of ``synops`` synaptic events and ``neuron_updates`` state updates."""
        return synops * self.e_synop + neuron_updates * self.e_neuron_update

    def dense_energy(self, macs: float) -> float:
        """Energy (J) of ``macs`` multiply-accumulates."""
        return macs * self.e_mac

    def to_dict(self) -> dict[str, float | str]:
        """Plain data (for configs and logs)."""
        return asdict(self)
