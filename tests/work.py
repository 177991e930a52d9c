"""Work counted in function calls: a bound that does not depend on the machine.

A test that asserts seconds fails on a slow or busy machine and passes on a
fast one. The number of Python and C function calls a piece of code makes is
the same everywhere for the same input (with the same Python and libraries),
so tests bound that instead: work proportional to the input, or growing no
faster than the input. Speed itself is measured in bench/, against a baseline.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

_T = TypeVar("_T")


def counted_calls(function: Callable[..., _T], *args: Any) -> tuple[_T, int]:
    """``function(*args)`` and how many function calls (Python and C) it made, in this thread."""
    calls = 0

    def count(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    previous = sys.getprofile()
    sys.setprofile(count)
    try:
        result = function(*args)
    finally:
        sys.setprofile(previous)
    return result, calls


def counted_steps(function: Callable[..., _T], *args: Any) -> tuple[_T, int]:
    """``function(*args)`` and how many steps it took: Python lines run, and calls (Python and C).

    Finer than counted_calls (a Python loop that calls nothing still counts),
    and slower: for small inputs. Work done inside one C call (a regular
    expression scanning a string) counts as one step.
    """
    steps = 0

    def line_or_call(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal steps
        steps += 1
        return line_or_call

    def c_call(frame: FrameType, event: str, arg: object) -> None:
        nonlocal steps
        if event == "c_call":
            steps += 1

    previous_trace, previous_profile = sys.gettrace(), sys.getprofile()
    sys.settrace(line_or_call)
    sys.setprofile(c_call)
    try:
        result = function(*args)
    finally:
        sys.settrace(previous_trace)
        sys.setprofile(previous_profile)
    return result, steps


def assert_linear_work(function: Callable[[Any], object], build: Callable[[int], Any], size: int) -> None:
    """Twice the input costs at most about twice the steps: no work that grows faster than the input.

    ``build(size)`` makes an input of about ``size`` characters. A warm-up call
    first, so that one-off work (compiling a regular expression) is not counted.
    """
    function(build(size))
    _, small = counted_steps(function, build(size))
    _, large = counted_steps(function, build(2 * size))
    # Linear work doubles (ratio 2); quadratic work quadruples. The constant
    # absorbs fixed costs on inputs where hardly any step depends on the size.
    assert large <= 2.5 * small + 200, f"{small} steps for {size} characters, {large} for {2 * size}"
