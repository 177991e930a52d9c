"""What a typed label becomes as a tag: pure functions, no database."""

from __future__ import annotations

import unicodedata

import pytest

from comptoir.tickets.tags import TAG_MAX_LENGTH, tag_name, tag_names


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Refund", "refund"),
        ("REFUND", "refund"),
        ("refund ", "refund"),
        (" late delivery ", "late-delivery"),
        ("Late\tDelivery\n", "late-delivery"),
        ("late-delivery", "late-delivery"),
        ("Remboursé", "remboursé"),
        ("ÉCHANGE", "échange"),
        ("bug_1234", "bug_1234"),
        ("v2.1", "v2.1"),
    ],
)
def test_it_names_the_tag_a_label_stands_for(typed, name):
    assert tag_name(typed) == name


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("refund!", "refund"),
        ("#vip", "vip"),
        ("(urgent)", "urgent"),
        ("what?!", "what"),
        ("late/delivery", "late-delivery"),
        ("late & delivery", "late-delivery"),
        ("'quoted'", "quoted"),
        ("refund.", "refund"),
        ("-refund-", "refund"),
    ],
)
def test_it_strips_punctuation_and_turns_it_into_a_separator_inside_a_tag(typed, name):
    assert tag_name(typed) == name


@pytest.mark.parametrize("typed", ["", "   ", "---", "...", "!?", "-.-", "#"])
def test_a_label_with_nothing_usable_left_is_no_tag(typed):
    assert tag_name(typed) == ""


def test_it_cuts_a_long_label_to_the_column_s_length_without_a_dangling_dash():
    typed = "a" * 49 + " " + "b" * 10  # the cut falls right after the dash that joins the words
    name = tag_name(typed)
    assert name == "a" * 49
    assert len(tag_name("c" * 60)) == TAG_MAX_LENGTH == 50
    assert tag_name("c" * 60) == "c" * 50


def test_it_keeps_a_long_label_at_fifty_characters_when_the_cut_falls_inside_a_word():
    name = tag_name("Customer Complaint About Late Delivery Of The Spare Parts")  # 57 characters
    assert name == "customer-complaint-about-late-delivery-of-the-spar"
    assert len(name) == 50
    assert not name.endswith("-")


def test_it_splits_a_typed_list_on_commas_semicolons_and_spaces_each_tag_once_in_order():
    assert tag_names("refund, VIP;vip  late") == ["refund", "vip", "late"]


def test_a_typed_list_leaves_out_pieces_that_are_no_tag():
    assert tag_names(" , ;; --- refund ,, !! ") == ["refund"]
    assert tag_names("") == []
    assert tag_names("   ") == []


def test_a_typed_list_dedupes_after_normalising():
    assert tag_names("Remboursé remboursé REMBOURSÉ vip! #VIP") == ["remboursé", "vip"]


def test_a_typed_list_makes_two_tags_of_two_words():
    # Spaces separate the tags of a list; inside one tag_name they are joined with '-'.
    assert tag_names("late delivery") == ["late", "delivery"]
    assert tag_names("late-delivery") == ["late-delivery"]


def test_a_decomposed_accent_names_the_same_tag_as_a_composed_one():
    decomposed = unicodedata.normalize("NFD", "Remboursé")
    assert tag_name(decomposed) == tag_name("Remboursé") == "remboursé"


def test_a_lone_dash_between_words_is_one_joiner():
    assert tag_name("late - delivery") == "late-delivery"
    assert tag_name("late--delivery") == "late-delivery"
