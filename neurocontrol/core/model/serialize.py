"""JSON form of model descriptions: ``{"type": kind, field: value, ...}``.

Arrays (explicit weights, matrices, encoders) go into a separate dict of
named arrays (stored in the checkpoint's ``.npz``) and are referenced as
``{"array": key}``. Nodes are referenced from projections and encoders by
name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from neurocontrol.core.model import connectivity, encoders, neurons, rules
from neurocontrol.core.model import network as nodes
from neurocontrol.core.model.network import Network, Node, Population, Projection
from neurocontrol.errors import ConfigError

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
            value = getattr(obj, field.name)
            if field.metadata.get("omit_default") and value == field.default:
                continue  # a later parameter at its default: descriptions (and digests) as before
            config[field.name] = to_config(value, arrays, f"{key}.{field.name}")
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


def _node_to_config(node: Node, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    config: dict[str, Any] = {"type": node.kind, "n": node.n, "name": node.name}
    if isinstance(node, Population):
        config["model"] = to_config(node.model, arrays, f"{node.name}.model")
    elif isinstance(node, nodes.Output):
        config["tau"] = node.tau
    return config


def _encoder_to_config(encoder: Any, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    config: dict[str, Any] = {"type": encoder.kind}
    for field in dataclasses.fields(encoder):
        value = getattr(encoder, field.name)
        if field.name in ("pre", "post"):
            config[field.name] = value.name
        else:
            config[field.name] = to_config(value, arrays, f"{encoder.name}.{field.name}")
    return config


def network_to_config(network: Network) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """JSON-able config and named arrays of ``network``."""
    arrays: dict[str, np.ndarray] = {}
    nodes = [_node_to_config(node, arrays) for node in network.populations]
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
    config: dict[str, Any] = {"populations": nodes, "projections": projections}
    if network.encoders:  # (networks without encoders keep their earlier form)
        config["encoders"] = [_encoder_to_config(e, arrays) for e in network.encoders]
    return config, arrays


_NODE_TYPES: dict[str, type] = {
    cls.kind: cls  # type: ignore[attr-defined]
    for cls in (nodes.Input, Population, nodes.SignalInput, nodes.Output)
}


def network_from_config(config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Network:
    """Rebuild a :class:`Network` from :func:`network_to_config` output."""
    nodes: dict[str, Node] = {}
    for item in config["populations"]:
        kind = item.get("type")
        if kind not in _NODE_TYPES:
            known = ", ".join(_NODE_TYPES)
            raise ConfigError(f"unknown population type {kind!r}; known: {known}")
        values = {key: value for key, value in item.items() if key != "type"}
        if kind == "Population":
            values["model"] = from_config(values["model"], arrays)
        nodes[item["name"]] = _NODE_TYPES[kind](**values)
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
    encoder_list = []
    for item in config.get("encoders", []):
        kind = item.get("type")
        cls = _ENCODER_TYPES.get(kind)
        if cls is None:
            known = ", ".join(_ENCODER_TYPES)
            raise ConfigError(f"unknown encoder type {kind!r}; known: {known}")
        values = {key: from_config(v, arrays) for key, v in item.items() if key != "type"}
        try:
            values["pre"], values["post"] = nodes[item["pre"]], nodes[item["post"]]
        except KeyError as exc:
            raise ConfigError(f"encoder {item.get('name')!r} names unknown node {exc}") from None
        encoder_list.append(cls(**values))
    return Network(list(nodes.values()), projections, encoder_list)


_ENCODER_TYPES: dict[str, type] = {
    cls.kind: cls  # type: ignore[attr-defined]
    for cls in (encoders.CurrentEncoder, encoders.ReceptiveFieldEncoder)
}
