"""Normalisation of person fields (jobs/spark/er_core.py), the step both engines share."""

from datetime import date

import pytest

from icefloe.resolve import er_core

core = er_core()


@pytest.mark.parametrize(("raw", "expected"), [
    ("  John.Smith+promo@GMAIL.com ", "johnsmith@gmail.com"),
    ("j.o.h.n@googlemail.com", "john@gmail.com"),
    ("anna+crm@outlook.com", "anna@outlook.com"),
    ("first.last+tag@example.com", "first.last+tag@example.com"),  # unknown provider: tags may matter
    ("not an email", None),
    ("a@b", None),
    (None, None),
])
def test_emails_fold_case_and_provider_aliases_only_where_safe(raw, expected):
    assert core.norm_email(raw) == expected


@pytest.mark.parametrize(("raw", "region", "expected"), [
    ("(415) 555-2671", "US", "+14155552671"),
    ("+1 415 555 2671", "US", "+14155552671"),
    ("415.555.2671", "US", "+14155552671"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("+44 20 7946 0958", "US", "+442079460958"),
    ("12", "US", None),
    ("call me", "US", None),
])
def test_phones_become_e164(raw, region, expected):
    assert core.norm_phone(raw, region) == expected


def test_names_are_unicode_folded_and_nicknames_map_to_one_canonical_name():
    assert core.norm_name("  José-María ") == "josemaria"
    assert core.norm_name("Núñez") == "nunez"
    assert core.norm_name("O'Neil") == "oneil"
    assert core.canon_first_name("bill") == core.canon_first_name("william") == "william"
    assert core.canon_first_name("kate") == core.canon_first_name("catherine")


@pytest.mark.parametrize(("raw", "expected"), [
    ("19840702", "19840702"), ("1984-07-02", "19840702"), ("02/07/1984", "19840702"),
    ("07/25/1984", "19840725"), (date(1984, 7, 2), "19840702"), ("19840231", "19840231"), ("n/a", None),
])
def test_dates_of_birth_become_yyyymmdd(raw, expected):
    assert core.norm_dob(raw) == expected


def test_streets_use_postal_abbreviations_and_codes_lose_spaces():
    assert core.norm_street("12 Main Street") == core.norm_street("12 main st.") == "12 main st"
    assert core.norm_code("SW1A 1AA") == "sw1a1aa"


def test_a_record_without_id_is_dropped_and_missing_fields_are_null():
    assert core.normalise_record({"email": "a@b.com"}) is None
    row = core.normalise_record({"id": 7.0, "source": "HubSpot", "email": "A@B.com"})
    assert row["rid"] == "hubspot|7" and row["email"] == "a@b.com"
    assert row["phone"] is None and row["dob"] is None
    assert set(row) == set(core.NORMALISED)


def test_the_record_hash_changes_with_any_normalised_field_only():
    a = core.normalise_record({"id": 1, "email": "A@b.com", "first_name": "Ann"})
    b = core.normalise_record({"id": 1, "email": " a@B.COM ", "first_name": "ANN"})
    c = core.normalise_record({"id": 1, "email": "a@b.com", "first_name": "Anne"})
    assert a["record_hash"] == b["record_hash"] != c["record_hash"]


@pytest.mark.parametrize(("name", "first", "last"), [
    ("Ada Lovelace", "ada", "lovelace"),
    ("Ada Byron Lovelace", "ada", "lovelace"),
    ("Lovelace, Ada", "ada", "lovelace"),
    ("Lovelace", None, "lovelace"),
    ("   ", None, None),
])
def test_a_full_name_is_split_into_first_and_last_name(name, first, last):
    row = core.normalise_record({"id": "1", "name": name})
    assert (row["first_name"], row["last_name"]) == (first, last)


def test_mapped_first_and_last_names_win_over_the_full_name():
    row = core.normalise_record({"id": "1", "first_name": "Augusta", "last_name": "King", "name": "Ada Lovelace"})
    assert (row["first_name"], row["last_name"]) == ("augusta", "king")


def test_us_state_names_and_codes_compare_equal():
    assert core.norm_state("North Dakota") == core.norm_state("ND") == "nd"
    assert core.norm_state(" new  york ") == "ny"
    assert core.norm_state("Bavaria") == "bavaria"  # not a US state: folded, kept
