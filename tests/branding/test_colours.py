"""The main colour's rules: WCAG contrast computed right, a colour too pale refused with its ratio."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from comptoir.branding import colours
from comptoir.branding.selectors import SHIPPED_COLOUR
from comptoir.branding.services import colour_check


def test_it_computes_the_wcag_ratios_of_known_pairs():
    assert colours.contrast("#000000", "#ffffff") == pytest.approx(21)
    assert colours.contrast("#ffffff", "#ffffff") == pytest.approx(1)
    # WCAG's own example: #767676 on white is the lightest grey that passes AA (4.54:1).
    assert colours.contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert colours.contrast("#777777", "#ffffff") < 4.5


def _channels(colour: str) -> list[int]:
    return [int(colour[i : i + 2], 16) for i in (1, 3, 5)]


def test_the_shades_of_the_shipped_colour_are_close_to_the_stylesheet_ones():
    assert colour_check(SHIPPED_COLOUR) == SHIPPED_COLOUR
    for derived, shipped in ((colours.darker(SHIPPED_COLOUR), "#084656"), (colours.softer(SHIPPED_COLOUR), "#e6f2f5")):
        assert max(abs(a - b) for a, b in zip(_channels(derived), _channels(shipped), strict=True)) <= 4


@pytest.mark.parametrize("colour", ["#0b5c70", "#767676", "#1d4ed8", "#b42318", "#6d28d9", "#047857", "#000000"])
def test_badges_stay_readable_on_every_accepted_colour(colour):
    """Badges write the dark shade on the soft one: a colour that passes keeps them at AA too."""
    assert colour_check(colour) == colour
    assert colours.contrast(colours.darker(colour), colours.softer(colour)) >= colours.AA_NORMAL_TEXT


@pytest.mark.parametrize(("written", "kept"), [("#1D4ED8", "#1d4ed8"), ("1d4ed8", "#1d4ed8"), ("#000", "#000000")])
def test_it_keeps_a_readable_colour_in_one_form(written, kept):
    assert colour_check(written) == kept


def test_an_empty_colour_keeps_the_shipped_one():
    assert colour_check("  ") == ""


def test_it_refuses_a_pale_colour_and_says_its_ratio():
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        colour_check("#fbbf24")  # amber: 1.669:1 against white
    assert refused.value.code == "colour_contrast"
    assert "1.66:1" in refused.value.messages[0]
    assert "4.5:1" in refused.value.messages[0]


def test_it_refuses_a_colour_just_under_the_threshold_without_rounding_it_up_to_a_pass():
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        colour_check("#777777")  # 4.478:1
    assert "4.47:1" in refused.value.messages[0]


def test_it_refuses_what_is_not_a_hex_colour():
    with pytest.raises(ValidationError) as refused:
        colour_check("teal")
    assert refused.value.code == "colour_format"
