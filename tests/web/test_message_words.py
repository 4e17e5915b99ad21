"""A rule's refusal as a form shows it (:mod:`hcctrial.web.message_words`): the field's label
instead of ``table.column``, "you entered" instead of "got", no bundled file path, no Python
repr; the rules' own messages (every door's contract) stay unchanged. Expected words by hand."""

from __future__ import annotations

import pytest

from hcctrial.web.message_words import message_in_words


@pytest.mark.parametrize(
    ("rule_message", "words"),
    [
        (
            "followups.contact_date: got 2027-01-01; expected a date on or before 2026-03-03 "
            "(a date cannot lie in the future)",
            "Date of contact (or of death): you entered 2027-01-01; it should be a date on or "
            "before 2026-03-03 (a date cannot lie in the future)",
        ),
        (
            "term: got 'Nausia'; expected a term of the bundled CTCAE v4.03 list (790 terms: "
            "hcctrial/assess/criteria/ctcae_v4.03_terms.json); did you mean 'Nausea'?",
            "CTCAE term: you entered “Nausia”; it should be a term of the bundled CTCAE v4.03 "
            "list (790 terms); did you mean “Nausea”?",
        ),
        (
            "imaging_assessments id 5 cannot be deleted: 2 row(s) of "
            "lesion_measurements.imaging_id refer to it; delete those first.",
            "This imaging assessment (number 5) cannot be deleted: 2 lesion measurements refer "
            "to it; delete those first.",
        ),
        (  # a column inside the message by its label; an acronym keeps its capitals
            "fields: got 'x'; expected a field of the baseline: weight_kg, hbv_dna_iu_ml",
            "Fields: you entered “x”; it should be a field of the baseline: weight, HBV DNA",
        ),
        (
            "users.site_id: got None; expected the site a coordinator works at",
            "Site: nothing was entered; it should be the site a coordinator works at",
        ),
    ],
)
def test_a_refusal_reads_in_words(rule_message: str, words: str) -> None:
    assert message_in_words(rule_message) == words


def test_beside_its_field_a_refusal_drops_the_field_name() -> None:
    text = "lab_results.value_entered: got '450'; expected a value in the physiological range"
    assert message_in_words(text, False) == (
        "You entered “450”; it should be a value in the physiological range"
    )


def test_the_rules_own_message_is_left_as_every_door_words_it() -> None:
    from hcctrial.services.rules import finding

    f = finding(
        "DATE-FUTURE",
        "followups",
        1,
        "contact_date",
        table="followups",
        field="contact_date",
        value="2027-01-01",
        limit="2026-03-03",
    )
    assert f.message.startswith("followups.contact_date: got 2027-01-01; expected")
