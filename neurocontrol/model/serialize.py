"""JSON form of model descriptions: ``{"type": kind, field: value, ...}``.

Arrays (explicit weights, matrices) go into a separate dict of named arrays
(stored in the checkpoint's ``.npz``) and are referenced as
``{"array": key}``. Populations are referenced from projections by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from neurocontrol.errors import ConfigError
from neurocontrol.model import connectivity, neurons, rules
from neurocontrol.model.network import Input, Network, Population, Projection

__all__ = ["from_config", "network_from_config", "network_to_config", "to_config"]


def _known_types() -> dict[str, type]:
    classes: dict[str, type] = {}
    for module in (neurons, connectivity, rules):
        for value in vars(module).values():
            if isinstance(value, type) and dataclasses.is_dataclass(value):
                classes[value.kind] = value  # type: ignore[attr-defined]
    for cls in _subclasses(rules.LearningRule):
        classes[cls.kind] = cls  # type: ignore[attr-defined]
    return classes


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def to_config(obj: Any, arrays: dict[str, np.ndarray], key: str) -> Any:
    """JSON-able form of a description object; arrays are moved into ``arrays``."""
    if isinstance(obj, np.ndarray):
        arrays[key] = obj
        return {"array": key}
    if isinstance(obj, (list, tuple)):
        return [to_config(item, arrays, f"{key}.{i}") for i, item in enumerate(obj)]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        config: dict[str, Any] = {"type": type(obj).kind}  # type: ignore[attr-defined]
        for field in dataclasses.fields(obj):
            config[field.name] = to_config(getattr(obj, field.name), arrays, f"{key}.{field.name}")
        return config
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    return obj


def from_config(config: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Rebuild a description object from :func:`to_config` output."""
    if isinstance(config, list):
        return tuple(from_config(item, arrays) for item in config)
    if not isinstance(config, dict):
        return config
    if set(config) == {"array"}:
        try:
            return arrays[config["array"]]
        except KeyError:
            raise ConfigError(f"array {config['array']!r} is missing") from None
    kind = config.get("type")
    classes = _known_types()
    if kind not in classes:
        raise ConfigError(f"unknown description type {kind!r}; known: {', '.join(sorted(classes))}")
    cls = classes[kind]
    accepted = [f.name for f in dataclasses.fields(cls)]
    values = {name: value for name, value in config.items() if name != "type"}
    unknown = sorted(set(values) - set(accepted))
    if unknown:
        raise ConfigError(
            f"unknown parameter(s) {unknown} for {kind}; accepted: {', '.join(accepted)}"
        )
    return cls(**{name: from_config(value, arrays) for name, value in values.items()})


def network_to_config(network: Network) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """JSON-able config and named arrays of ``network``."""
    arrays: dict[str, np.ndarray] = {}
    nodes = []
    for node in network.populations:
        if isinstance(node, Input):
            nodes.append({"type": "Input", "n": node.n, "name": node.name})
        else:
            model = to_config(node.model, arrays, f"{node.name}.model")
            nodes.append({"type": "Population", "n": node.n, "name": node.name, "model": model})
    projections = []
    for projection in network.projections:
        key = str(projection.name)
        projections.append(
            {
                "name": projection.name,
                "pre": projection.pre.name,
                "post": projection.post.name,
                "connectivity": to_config(projection.connectivity, arrays, f"{key}.connectivity"),
                "weights": to_config(projection.weights, arrays, f"{key}.weights"),
                "delay": projection.delay,
                "rule": to_config(list(projection.rules), arrays, f"{key}.rule"),
                "sign": projection.sign,
            }
        )
    return {"populations": nodes, "projections": projections}, arrays


def network_from_config(config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Network:
    """Rebuild a :class:`Network` from :func:`network_to_config` output."""
    nodes: dict[str, Input | Population] = {}
    for item in config["populations"]:
        if item["type"] == "Input":
            nodes[item["name"]] = Input(item["n"], name=item["name"])
        elif item["type"] == "Population":
            model = from_config(item["model"], arrays)
            nodes[item["name"]] = Population(item["n"], model, name=item["name"])
        else:
            raise ConfigError(f"unknown population type {item['type']!r}; known: Input, Population")
    projections = []
    for item in config["projections"]:
        try:
            pre, post = nodes[item["pre"]], nodes[item["post"]]
        except KeyError as exc:
            raise ConfigError(
                f"projection {item.get('name')!r} names unknown population {exc}"
            ) from None
        projections.append(
            Projection(
                pre,
                post,  # type: ignore[arg-type]
                connectivity=from_config(item["connectivity"], arrays),
                weights=from_config(item["weights"], arrays),
                delay=item["delay"],
                rule=from_config(item["rule"], arrays) or None,
                sign=item["sign"],
                name=item["name"],
            )
        )
    return Network(list(nodes.values()), projections)
