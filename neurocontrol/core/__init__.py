"""The spiking core: a network described, built into arrays and stepped one millisecond at a time.

- :mod:`~neurocontrol.core.model`: the description (populations, projections,
  encoders, outputs, learning rules), plain data;
- :mod:`~neurocontrol.core.builder`: the description turned into flat arrays
  and a generated, compiled step function;
- :mod:`~neurocontrol.core.kernels`: the numba kernels, by who calls them;
- :mod:`~neurocontrol.core.simulator`: :class:`Simulator`, which owns the
  arrays and runs the step; :mod:`~neurocontrol.core.statedict` saves and
  restores them;
- :mod:`~neurocontrol.core.encoding`, :mod:`~neurocontrol.core.decoding`:
  signals to spikes and back outside a network (NEF tuning, receptive
  fields, decoders); :mod:`~neurocontrol.core.recording` (spike rasters),
  :mod:`~neurocontrol.core.learning` (reading rule state).

Nothing here imports an environment or an agent.
"""
