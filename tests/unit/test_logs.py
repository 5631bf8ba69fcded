"""Structured logs carry the request id and the principal, as JSON, and nothing secret."""

import json
import logging

from registry import logs


def test_a_json_log_line_carries_the_request_id_and_the_principal():
    record = logging.LogRecord("registry.api", logging.WARNING, __file__, 1, "database unavailable on %s", ("POST",),
                               None)
    rid, who = logs.request_id.set("abc-123"), logs.principal.set("apikey:42")
    try:
        line = logs.JsonFormatter().format(record)
    finally:
        logs.request_id.reset(rid)
        logs.principal.reset(who)
    entry = json.loads(line)
    assert entry["message"] == "database unavailable on POST"
    assert (entry["request_id"], entry["principal"], entry["level"]) == ("abc-123", "apikey:42", "WARNING")
    assert "\n" not in line
