"""One catalogue of Danish texts (registry/texts.py): every error code the registry can answer with,
every check reason and every obligation has its Danish text, so people are never shown a bare code."""

import re
from pathlib import Path

from registry import errors, texts
from registry.domain.decisions import INACTIVE_PRECEDENCE

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
               "unknown_unit", "stale", *INACTIVE_PRECEDENCE}
    assert reasons <= set(texts.REASONS_DA)
    assert set(texts.OBLIGATIONS_DA) == {"seek_advice", "justify", "report", "pre_approval"}


def test_an_errors_own_danish_text_comes_before_the_catalogues():
    assert texts.error_da("duplicate", "Delegeringen findes allerede.") == "Delegeringen findes allerede."
    assert texts.error_da("duplicate") == texts.ERRORS_DA["duplicate"]
    assert texts.error_da("no_such_code") is None
