"""The follow-up's Danish words (registry/texts.py, DANISH.md) cover exactly the domain's codes."""

from registry import texts
from registry.services import breaches, reviews


def test_breach_causes_responses_repair_statuses_and_review_outcomes_have_danish_words():
    assert set(texts.BREACH_CAUSES_DA) == set(breaches.CAUSES)
    assert set(texts.BREACH_RESPONSES_DA) == set(breaches.RESPONSES) == set(texts.BREACH_RESPONSE_HINTS_DA)
    assert set(texts.REPAIR_STATUSES_DA) == set(breaches.REPAIR)
    assert set(texts.REVIEW_OUTCOMES_DA) == set(reviews.OUTCOMES) == set(texts.REVIEW_OUTCOME_HINTS_DA)
    assert texts.BREACH_CAUSES_DA["ill_will"] == "Bevidst misbrug"
    assert texts.BREACH_RESPONSES_DA["suspension"] == "Midlertidigt i bero"
    assert texts.REPAIR_STATUSES_DA["repairing"] == "Under reparation"
    assert texts.REVIEW_OUTCOMES_DA["end"] == "Ophører"
