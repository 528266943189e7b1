"""constructs_lib._runtime.type_hints: the generated modules look their stubs' type hints up once, and still
check every argument."""

from __future__ import annotations

import sys
import typing

import cdktf
import pytest
from cdktf import TerraformStack, Testing

from constructs_lib import _aws
from constructs_lib._aws import PACKAGE
from constructs_lib._runtime.type_hints import memoise_type_hints

# The code of a generated module runs in its private part (the public one lists only its API).
PRIVATE = [sys.modules[f"{name}._private"] for name in ("cdktf", "constructs", PACKAGE + ".route53_record")]


@pytest.mark.parametrize("module", PRIVATE, ids=lambda m: m.__name__)
def test_the_generated_modules_use_the_memoising_typing(module):
    assert module.typing is not typing
    assert module.typing.get_type_hints is not typing.get_type_hints
    assert module.typing.Optional is typing.Optional  # everything else is typing's own


def test_hints_are_the_same_and_computed_once():
    private = PRIVATE[0]
    stubs = [v for k, v in vars(private).items() if k.startswith("_typecheckingstub__")]
    assert len(stubs) > 100
    for stub in stubs[:50]:
        first = private.typing.get_type_hints(stub)
        assert first == typing.get_type_hints(stub)
        assert private.typing.get_type_hints(stub) is first


def test_a_wrong_argument_type_is_still_refused():
    stack = TerraformStack(Testing.app(), "t")
    with pytest.raises(TypeError, match="zone_id"):
        _aws.Route53Record(stack, "r", zone_id=1, name="a.example.com", type="A")  # type: ignore[arg-type]


def test_only_modules_using_the_real_typing_are_changed():
    assert memoise_type_hints([PRIVATE[0], cdktf, typing]) == 0  # done already; public part; no typing
