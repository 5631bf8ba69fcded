"""GraphQL over HTTP: strawberry's litestar controller, with request bodies it cannot parse answered 400."""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException  # what strawberry raises and answers as a plain-text status
from strawberry.litestar import make_graphql_controller

from registry.api.headers import page_policy


def graphql_controller(schema, **options: Any) -> type:
    """`strawberry.litestar.make_graphql_controller`, except that a body which is not UTF-8, or is JSON
    but neither an object nor a list (a batch), gets strawberry's own 400 answer instead of an
    exception from its parser (a 500), and so does an `operationName` that is not a string, like
    strawberry's own checks of `query` and `variables` (all found by fuzzing,
    tests/integration/test_fuzzing.py); and a request that lost its database answers 503."""
    base = make_graphql_controller(schema, **options)

    class GraphQLController(base):  # type: ignore[misc, valid-type]
        def decode_json(self, data: str | bytes) -> object:
            try:
                value = json.loads(data)
            except UnicodeDecodeError as exc:  # json.loads decodes bytes itself; not a JSONDecodeError
                raise HTTPException(400, "Unable to parse request body as JSON") from exc
            if not isinstance(value, (dict, list)):
                raise HTTPException(400, "The request body must be a JSON object")
            if isinstance(value, dict) and not isinstance(value.get("operationName"), (str, type(None))):
                raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null, if "
                                         "provided.")
            return value

        async def render_graphql_ide(self, request):
            """The GraphiQL page, with a Content-Security-Policy made for it (registry.api.headers)."""
            response = await super().render_graphql_ide(request)
            response.headers["Content-Security-Policy"] = page_policy(response.content)
            return response

        def create_response(self, response_data, sub_response):
            """A request that lost the database (an error with the code `unavailable`) is answered
            503 with Retry-After, as the REST routes are: nothing was written, and a retry may succeed."""
            response = super().create_response(response_data, sub_response)
            if _database_lost(response_data):
                response.status_code = 503
                response.headers["Retry-After"] = "1"
            return response

    return GraphQLController


def _database_lost(response_data) -> bool:
    answers = response_data if isinstance(response_data, list) else [response_data]
    return any((e.get("extensions") or {}).get("code") == "unavailable"
               for a in answers for e in (a.get("errors") or ()))
