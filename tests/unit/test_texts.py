"""One catalogue of Danish texts (registry/texts.py): every error code the registry can answer with,
every check reason and every obligation has its Danish text, so people are never shown a bare code."""

import re
from pathlib import Path

from registry import errors, texts
from registry.domain.decisions import ACTIONS, INACTIVE_PRECEDENCE, obligations
from registry.domain.model import ACCOUNT_MODES, CONTROL_FORMS

ROOT = Path(__file__).resolve().parents[2]


def _codes_in_source() -> set[str]:
    found = set()
    for path in (ROOT / "registry").rglob("*.py"):
        found |= set(re.findall(r'code="([a-z_]+)"', path.read_text()))
    found |= {kind.code for kind in vars(errors).values() if isinstance(kind, type)
              and issubclass(kind, errors.RegistryError) and kind is not errors.RegistryError}
    return found


def test_every_error_code_the_registry_answers_with_has_a_danish_text():
    codes = _codes_in_source() | {"graphql_validation", "query_too_deep", "too_many_tokens", "too_many_aliases",
                                  "unavailable", "internal", "bad_request", "method_not_allowed"}
    missing = sorted(code for code in codes if code not in texts.ERRORS_DA)
    assert not missing, f"no Danish text for: {missing}"


def test_every_check_reason_and_obligation_has_a_danish_text():
    reasons = {"allowed", "leader_authority", "no_delegation", "level_too_low", "red_line", "missing_attribute",
               "not_yet_valid", "expired", "revoked", "suspended", "unknown_person", "unknown_area",
               "unknown_unit", "stale", "outside_mandate", *INACTIVE_PRECEDENCE}
    assert reasons <= set(texts.REASONS_DA)
    owed = {o.kind for account in ACCOUNT_MODES for action in ACTIONS for level in range(1, 8)
            for form in CONTROL_FORMS for o in obligations(action, level, form, "monthly", 5, 0.0, account)}
    assert owed == set(texts.OBLIGATIONS_DA) == {"seek_advice", "justify", "justify_on_request",
                                                 "justify_at_follow_up", "report", "pre_approval"}


def test_an_errors_own_danish_text_comes_before_the_catalogues():
    assert texts.error_da("duplicate", "Delegeringen findes allerede.") == "Delegeringen findes allerede."
    assert texts.error_da("duplicate") == texts.ERRORS_DA["duplicate"]
    assert texts.error_da("no_such_code") is None


def test_a_red_line_reads_as_a_danish_sentence_in_the_areas_own_words():
    from registry.domain.model import AreaAttribute
    from registry.texts import PROHIBITION_DA, condition_da

    attributes = [AreaAttribute(name="amount", type="number", unit="DKK", description="Beløb inkl. moms"),
                  AreaAttribute(name="rest_hours", type="number", unit="timer", description="Hviletid mellem vagter"),
                  AreaAttribute(name="consent", type="boolean", description="Borgeren har givet samtykke"),
                  AreaAttribute(name="shared", type="boolean", description="Der videregives helbredsoplysninger")]
    assert condition_da("amount <= 50000", attributes) == "Skal gælde: beløb inkl. moms er højst 50.000 kr."
    assert condition_da("50000 >= amount", attributes) == "Skal gælde: beløb inkl. moms er højst 50.000 kr."
    assert condition_da("rest_hours >= 11", attributes) == "Skal gælde: hviletid mellem vagter er mindst 11 timer."
    assert condition_da("consent or not shared", attributes) == \
        "Skal gælde: borgeren har givet samtykke eller det gælder ikke, at der videregives helbredsoplysninger."
    assert condition_da("category in ['a', 'b']", attributes) == "Skal gælde: category er en af »a«, »b«."
    assert condition_da(None, attributes) == PROHIBITION_DA
    assert condition_da("amount <= 7.5 and (consent or shared)", attributes) == \
        "Skal gælde: beløb inkl. moms er højst 7,5 kr. og (borgeren har givet samtykke eller der videregives " \
        "helbredsoplysninger)."


def test_every_assessment_act_state_due_status_and_check_action_has_a_danish_text():
    from registry.domain.decisions import ACTIONS
    from registry.services.acts import ACT_STATES, ASSESSMENTS

    assert set(texts.FEEDBACK_ASSESSMENTS_DA) == set(ASSESSMENTS)
    assert texts.FEEDBACK_ASSESSMENTS_DA["not_acceptable"] == "Uden for rammen"
    assert set(texts.ACT_STATES_DA) == set(ACT_STATES)
    assert set(texts.DUE_STATUSES_DA) == {"open", "overdue", "fulfilled"}
    assert set(texts.CHECK_ACTIONS_DA) == set(ACTIONS)
    assert set(texts.BASES_OF_OTHERS_DA) == {"delegation", "leader_authority", "stand_in"}


def test_every_membership_and_person_role_has_a_danish_word():
    from registry.domain.model import MEMBERSHIP_ROLES, PERSON_ROLES
    from registry.texts import MEMBERSHIP_ROLES_DA, PERSON_ROLES_DA

    assert set(MEMBERSHIP_ROLES_DA) == set(MEMBERSHIP_ROLES)
    assert set(PERSON_ROLES_DA) == set(PERSON_ROLES)
