"""Property-based tests of the topology loader and expansion (hypothesis)."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atelier.topology import TopologyError, default_path, expand, parse

TEXT = default_path().read_text(encoding="utf-8")
BASE: dict[str, Any] = yaml.safe_load(TEXT)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _scalar_leaves(
    node: yaml.Node, path: tuple[Any, ...] = ()
) -> list[tuple[tuple[Any, ...], yaml.Node]]:
    """Every scalar value node of the file, with its path."""
    if isinstance(node, yaml.MappingNode):
        return [leaf for k, v in node.value for leaf in _scalar_leaves(v, (*path, k.value))]
    if isinstance(node, yaml.SequenceNode):
        return [leaf for i, v in enumerate(node.value) for leaf in _scalar_leaves(v, (*path, i))]
    return [(path, node)]


_ROOT = yaml.compose(TEXT)
assert _ROOT is not None, "topology.yaml is empty"
LEAVES = _scalar_leaves(_ROOT)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=12),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@SETTINGS
@given(st.one_of(st.text(max_size=300), yaml_values.map(yaml.safe_dump)))
def test_any_input_gives_a_topology_or_a_topology_error(text: str) -> None:
    """No input crashes the loader with anything but TopologyError."""
    try:
        parse(text)
    except TopologyError as err:
        assert err.problems
        for problem in err.problems:
            assert problem.line is None or 1 <= problem.line <= max(1, text.count("\n") + 2)


@SETTINGS
@given(st.sampled_from(LEAVES), st.sampled_from(["{zz: [1]}", "[[1, 2]]"]))
def test_a_wrong_typed_leaf_is_reported_at_its_own_line(
    leaf: tuple[tuple[Any, ...], yaml.Node], replacement: str
) -> None:
    """Replace any scalar in the real file by a structure: the error names that field and line."""
    path, node = leaf
    start, end = node.start_mark.index, node.end_mark.index
    text = TEXT[:start] + replacement + TEXT[end:]
    try:
        parse(text)
    except TopologyError as err:
        line = node.start_mark.line + 1
        dotted = ".".join(str(p) for p in path)
        hits = [p for p in err.problems if p.line == line and p.path.startswith(dotted)]
        assert hits, f"{dotted} at line {line} not reported: {err}"
    else:
        raise AssertionError(f"replacing {path} by {replacement} was accepted")


env_names = st.from_regex(r"[a-z][a-z0-9]{0,7}", fullmatch=True)
retention = st.sampled_from([1, 3, 5, 7, 14, 30, 60, 90, 365])


@st.composite
def topologies(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """Valid variations of the real topology: environments, sizes, timeouts, new routes."""
    data = copy.deepcopy(BASE)
    env = draw(env_names)
    desired = draw(st.integers(0, 5))
    data["environments"][env] = {
        "region": draw(st.sampled_from(["eu-west-3", "us-east-1", "eu-central-1"])),
        "sizes": {
            "log_retention_days": draw(retention),
            "services": {
                "structured_data": {"desired": desired, "max": desired + draw(st.integers(1, 5))}
            },
        },
    }
    for fn in data["lambdas"].values():
        fn["timeout"] = draw(st.integers(1, 900))
    extra = draw(
        st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True), max_size=3, unique=True)
    )
    for name in extra:
        if name not in data["lambdas"]:
            data["lambdas"][name] = {
                "route": {"path": f"/x/{name}", "method": draw(st.sampled_from(["GET", "POST"]))},
                "timeout": 5,
                "memory": 128,
            }
    return data, env


@SETTINGS
@given(topologies())
def test_expansion_is_pure_prefixed_and_serializable(case: tuple[dict[str, Any], str]) -> None:
    data, env = case
    top = parse(yaml.safe_dump(data, sort_keys=False))
    first, second = expand(top, env), expand(top, env)
    assert first == second
    dumped = first.model_dump()
    assert json.loads(json.dumps(dumped)) == dumped
    prefix = f"atelier-{env}-"
    assert all(fn.function_name.startswith(prefix) for fn in first.lambdas.values())
    assert all(t.name.startswith(prefix) for t in first.tables.values())
    assert all(b.name.startswith(prefix) for b in first.buckets.values())
    assert len(first.routes) == sum(1 for fn in data["lambdas"].values() if "route" in fn)
    for name, fn in data["lambdas"].items():
        assert first.lambdas[name].timeout == fn["timeout"]
    svc = first.services["structured_data"]
    assert svc.desired_count <= svc.max_count
    assert (
        svc.desired_count
        == data["environments"][env]["sizes"]["services"]["structured_data"]["desired"]
    )
