"""GraphQL over HTTP: strawberry's litestar controller, with request bodies it cannot parse answered 400,
mutations sent with an `Idempotency-Key` header done once (registry.services.idempotency), and the
registry's own GraphiQL page (registry.api.graphiql) in place of strawberry's, which loads GraphiQL
from a public CDN."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from cross_web import HTTPException  # what strawberry raises and answers as a plain-text status
from graphql import FieldNode, GraphQLError, OperationType, parse
from graphql.language import SourceLocation
from graphql.utilities import get_operation_ast
from litestar import Request, Response
from litestar.enums import MediaType
from strawberry.http import process_result
from strawberry.litestar import make_graphql_controller
from strawberry.types import ExecutionResult

from registry.api import graphiql
from registry.api.graphql.loaders import Loaders
from registry.api.headers import page_policy
from registry.services import idempotency

REPLAYED = "Idempotent-Replayed"  # on an answer given again for a retry


def graphql_controller(schema, **options: Any) -> type:
    """`strawberry.litestar.make_graphql_controller`, except that a body which is not UTF-8, or is JSON
    but neither an object nor a list (a batch), gets strawberry's own 400 answer instead of an
    exception from its parser (a 500), and so does an `operationName` that is not a string, like
    strawberry's own checks of `query` and `variables` (all found by fuzzing,
    tests/integration/test_fuzzing.py). A mutation with an `Idempotency-Key` header is done once, and a
    request that lost its database answers 503."""
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

        async def render_graphql_ide(self, request: Request[Any, Any, Any]) -> Response[str]:
            """The registry's GraphiQL page, with a Content-Security-Policy made for it (registry.api.headers)."""
            html = graphiql.page(await graphiql.development_defaults(request))
            return Response(html, media_type=MediaType.HTML, headers={"Content-Security-Policy": page_policy(html)})

        async def execute_single(self, request, request_adapter, sub_response, context, root_value,
                                 request_data) -> ExecutionResult:
            key = request.headers.get(idempotency.HEADER)
            # A platform operator's mutations name organisations by their unique key, so a retry is
            # refused as a duplicate anyway; they live in no organisation, where keys are kept.
            fields = None if key is None or context is None or context.ctx.principal.platform else \
                _mutation_fields(request_data, request.app.state.settings)
            if fields is None:
                return await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                                    request_data)
            idempotency.check_single(fields)

            async def run(ctx) -> dict:
                bound = msgspec.structs.replace(context, ctx=ctx, loaders=Loaders(ctx.db, ctx.tenant_id, ctx))
                result = await super(GraphQLController, self).execute_single(
                    request, request_adapter, sub_response, bound, root_value, request_data)
                return dict(process_result(result))

            fingerprint = idempotency.request_hash(request_data.query, request_data.variables,
                                                   request_data.operation_name)
            answer = await idempotency.once(context.ctx, key, fingerprint, run)
            if answer.replayed:
                sub_response.headers[REPLAYED] = "true"
            return _result(answer.response)

        def create_response(self, response_data, sub_response):
            """A request that lost the database (an error with the code `unavailable`) is answered
            503 with Retry-After, as the REST routes are: nothing was written, and a retry may succeed."""
            response = super().create_response(response_data, sub_response)
            if _database_lost(response_data):
                response.status_code = 503
                response.headers["Retry-After"] = "1"
            return response

    return GraphQLController


def _mutation_fields(data, settings) -> int | None:
    """How many root selections the request's mutation has (None when it is no mutation: anything
    else needs no key, or fails anyway). A fragment spread at the root counts as two: it may hold
    any number of fields."""
    if not isinstance(data.query, str):
        return None
    try:
        document = parse(data.query, no_location=True, max_tokens=settings.graphql_max_tokens)
    except GraphQLError:
        return None
    operation = get_operation_ast(document, data.operation_name)
    if operation is None or operation.operation != OperationType.MUTATION:
        return None
    return sum(1 if isinstance(selection, FieldNode) else 2 for selection in operation.selection_set.selections)


def _result(response: dict) -> ExecutionResult:
    """An answer (as kept) back into the result strawberry renders."""
    errors = [_error(e) for e in response.get("errors") or ()]
    return ExecutionResult(data=response.get("data"), errors=errors or None, extensions=response.get("extensions"))


def _error(formatted: dict) -> GraphQLError:
    error = GraphQLError(formatted["message"], path=formatted.get("path"), extensions=formatted.get("extensions"))
    if "locations" in formatted:
        error.locations = [SourceLocation(loc["line"], loc["column"]) for loc in formatted["locations"]]
    return error


def _database_lost(response_data) -> bool:
    answers = response_data if isinstance(response_data, list) else [response_data]
    return any((e.get("extensions") or {}).get("code") == "unavailable"
               for a in answers for e in (a.get("errors") or ()))
