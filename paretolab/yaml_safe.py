"""The one YAML reader for configs, sweep specs and ``--set`` values: bounded and strict.

PyYAML's ``safe_load`` builds no objects, but it still expands aliases: a 400-byte
"billion laughs" text becomes gigabytes, and a duplicated key silently keeps the last value.
This loader refuses both before anything is built, and refuses texts over
``limits.MAX_CONFIG_BYTES`` or with more than ``limits.MAX_YAML_NODES`` nodes. Each refusal is
a ``ConfigError`` naming the line.
"""

from __future__ import annotations

from typing import Any

import yaml

from paretolab import limits
from paretolab.errors import ConfigError


class _ConfigLoader(yaml.SafeLoader):
    """A ``SafeLoader`` without anchors or aliases, with unique keys and a node budget."""

    source: str | None = None
    nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        # Anchors are refused with aliases: without `*name` they do nothing, and a config
        # never needs them; refusing at the `&` names the earliest line.
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            self._refuse(
                event.start_mark,
                "YAML anchors and aliases (&name, *name) are not allowed; write the value out",
            )
        self.nodes += 1
        if self.nodes > limits.MAX_YAML_NODES:
            self._refuse(
                event.start_mark,
                f"more than {limits.MAX_YAML_NODES:,} YAML values; a config or sweep spec "
                "needs far fewer",
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # `<<:` keys may be overridden by design
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: SafeConstructor refuses it below
                    continue
                if first is not None:
                    self._refuse(
                        key_node.start_mark,
                        f"duplicate key {limits.quoted(key, 80)} (first at line {first}); keep one",
                    )
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def _refuse(self, mark: yaml.Mark | None, problem: str) -> None:
        where = f"line {mark.line + 1}: " if mark else ""
        raise ConfigError([where + problem], self.source)


def load(text: str, source: str | None = None) -> Any:
    """Parse one YAML document with the config loader (None for an empty document).

    Raises:
        ConfigError: the text is too large, uses anchors/aliases, repeats a key, has too
            many values, or is not valid YAML (with the line and column).
    """
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > limits.MAX_CONFIG_BYTES:
        raise ConfigError(
            [
                f"the YAML is {size:,} bytes, over the limit of {limits.MAX_CONFIG_BYTES:,}; "
                "a config or sweep spec is a few kilobytes"
            ],
            source,
        )
    loader = _ConfigLoader(text)
    loader.source = source
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = limits.clip(str(exc.problem), 200)
        raise ConfigError([f"YAML syntax error at {where}{problem}"], source) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"YAML error: {limits.clip(str(exc), 200)}"], source) from None
    finally:
        loader.dispose()
