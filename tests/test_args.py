"""Tests of the argument specs: the compiled fast test agrees with check_args.

Every method's arguments are checked at the door by a predicate generated from
its specs (contracts.args.compile_test); check_args only runs to say what is
wrong. If the two ever disagreed, the door would let through what the rules
refuse, so they are compared on values built from every method's own specs,
valid and broken in every way a spec can be broken.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.errors import ArgsInvalid
from contracts import uscc
from contracts.args import Bool, Bytes, Date, Int, ListOf, Obj, OneOf, Spec, Str, Uscc, check_args, compile_test
from contracts.governance import AnyMap
from contracts.identity import ROLES, RoleList
from contracts.registry import Registry

METHODS = Registry().methods()
VALID_USCC = "11110000000021135M"

_odd = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3), st.binary(max_size=3),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
"""Values of the wrong type for most specs."""


def value_for(spec: Spec) -> st.SearchStrategy:
    """Mostly valid values of ``spec``, sometimes broken: wrong types, lengths, characters."""
    if isinstance(spec, Str):
        if spec.pattern is not None:
            good = st.from_regex(spec.pattern, fullmatch=True)
        else:
            good = st.text(st.characters(codec="utf-8"), min_size=spec.min_len, max_size=min(spec.max_len, 8))
        broken = st.one_of(st.just("x" * (spec.max_len + 1)), st.just("a\x00b"), st.just("\t\u3000目录"),
                           st.just(""), st.text(max_size=4))
        return st.one_of(good, good, broken, _odd)
    if isinstance(spec, Int):
        return st.one_of(st.integers(spec.min, min(spec.max, spec.min + 1000)), st.just(spec.min - 1),
                         st.just(spec.max + 1), st.booleans(), _odd)
    if isinstance(spec, Bool):
        return st.one_of(st.booleans(), st.just(0), st.just(1), _odd)
    if isinstance(spec, Date):
        real = st.dates().map(lambda d: d.isoformat()).filter(lambda t: len(t) == 10)
        return st.one_of(real, st.just("2026-13-45"), st.just("2026-02-30"), st.just("2026/07/01"),
                         st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True), _odd)
    if isinstance(spec, Uscc):
        return st.one_of(st.just(VALID_USCC), st.just(VALID_USCC[:-1] + "0"), st.just("x" * 18), _odd)
    if isinstance(spec, Bytes):
        size = spec.size if spec.size is not None else 4
        return st.one_of(st.binary(min_size=size, max_size=size), st.binary(max_size=spec.max_len + 1), _odd)
    if isinstance(spec, OneOf):
        return st.one_of(st.sampled_from(spec.values), st.just(spec.values[0] + "x"), _odd)
    if isinstance(spec, ListOf):
        return st.one_of(st.lists(value_for(spec.item), min_size=spec.min_items,
                                  max_size=min(spec.max_items, spec.min_items + 3)), _odd)
    if isinstance(spec, Obj):
        return st.one_of(args_for(spec.fields), _odd)
    if isinstance(spec, RoleList):
        return st.one_of(st.lists(st.sampled_from([*ROLES, "emperor"]), max_size=4), _odd)
    if isinstance(spec, AnyMap):
        return st.one_of(st.dictionaries(st.text(max_size=3), _odd, max_size=3), _odd)
    raise AssertionError(f"no strategy for {spec!r}")


def args_for(fields) -> st.SearchStrategy:
    """Maps of the fields, some missing, some unknown ones added."""
    @st.composite
    def build(draw):
        out = {}
        for name, spec in fields.items():
            if draw(st.integers(0, 9)) == 0:  # leave it out
                continue
            out[name] = draw(value_for(spec))
        if draw(st.integers(0, 9)) == 0:
            out[draw(st.text(min_size=1, max_size=3))] = 1
        return out
    return build()


def accepted(fields, args) -> bool:
    try:
        check_args(fields, args)
    except ArgsInvalid:
        return False
    return True


@pytest.mark.parametrize("method", METHODS, ids=[m.qualified for m in METHODS])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_compiled_test_agrees_with_check_args(method, data):
    """For every method, the compiled test accepts exactly what check_args accepts."""
    args = data.draw(st.one_of(args_for(method.args), _odd))
    assert compile_test(method.args)(args) == accepted(method.args, args), args


def test_compiled_test_sees_control_characters_and_allows_layout():
    """Tabs, line breaks and wide spaces are text; NUL and other controls are not."""
    test = compile_test({"t": Str()})
    assert test({"t": "第一行\n第二行\t\u3000"}) and accepted({"t": Str()}, {"t": "第一行\n第二行\t\u3000"})
    assert not test({"t": "a\x1fb"}) and not accepted({"t": Str()}, {"t": "a\x1fb"})


def test_method_check_args_names_the_field_at_fault():
    """A method's check raises the precise refusal, item index included."""
    method = Registry().method("catalog", "publish")
    with pytest.raises(ArgsInvalid) as info:
        method.check_args({"data_items": [{"name": "x", "data_type": "C"}, {"name": "y", "data_type": "Q"}]})
    assert info.value.details["field"] in ("resource_code", "data_items[1].data_type")


def test_uscc_validity_is_remembered_only_for_valid_codes():
    """Valid codes are remembered; an invalid one is refused every time."""
    assert uscc.validate(VALID_USCC) == VALID_USCC == uscc.validate(VALID_USCC)
    for _ in range(2):
        with pytest.raises(uscc.InvalidUSCC):
            uscc.validate(VALID_USCC[:-1] + "0")
