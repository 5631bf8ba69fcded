"""create_app(settings): the litestar application with GraphQL, health routes and one lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from litestar import Litestar, Request, Router
from litestar.datastructures import State
from litestar.exceptions import HTTPException

from registry.api import errors as api_errors
from registry import logs
from registry.api import authzen, casbin_routes, events as event_routes, graphiql, openapi, rest, scim
from registry.api.authorization import rest_door
from registry.api.headers import security_headers
from registry.api.principal import request_id_middleware
from registry.api.graphql.context import Context
from registry.api.graphql.http import graphql_controller
from registry.api.graphql.loaders import Loaders
from registry.api.graphql.schema import create_schema
from registry.auth import JwtVerifier, PrincipalCache, authenticate
from registry.policy.engine import Engine
from registry.ratelimit import RateLimiter
from registry.services.breaches import purge_closed
from registry.services.common import Ctx, utcnow
from registry.services.decision_log import DecisionLog
from registry.services.decision_log import purge as purge_decision_log
from registry.services.idempotency import purge_expired as purge_idempotency_keys
from registry.settings import Settings
from registry.storage.db import Db
from registry.storage.migrate import migrate
from registry.web import errors as web_errors
from registry.web import template_config, web_router

log = logging.getLogger("registry")


async def resolve_database_url(settings: Settings) -> str:
    """The configured URL, or the embedded PostgreSQL's (started in the data directory on first use;
    it stops when this process exits normally)."""
    return (await _open_database(settings))[1]


async def _open_database(settings: Settings) -> tuple[object | None, str]:
    """(the embedded server started for these settings or None, the database URL)."""
    if settings.database_url:
        return None, settings.database_url
    from registry.storage.embedded import start_embedded

    return await asyncio.to_thread(start_embedded, settings.data_dir)


async def _retention_loop(db: Db, settings: Settings, clock: Callable[[], datetime]) -> None:
    """Purge breach details, decision-log entries, idempotency keys and sync runs past their
    retention, at start-up and every six hours."""
    while True:
        try:
            purged = await purge_closed(db, clock(), timedelta(days=settings.breach_retention_days))
            if purged:
                log.info("purged the details of %d closed breaches past retention", purged)
        except Exception:  # the database may be away; the next round tries again
            log.warning("breach retention purge failed", exc_info=True)
        try:
            deleted = await purge_decision_log(db, clock(), timedelta(days=settings.decision_log_retention_days))
            if deleted:
                log.info("deleted %d decision-log entries past retention", deleted)
        except Exception:
            log.warning("decision log retention purge failed", exc_info=True)
        try:
            await purge_idempotency_keys(db, clock())
        except Exception:
            log.warning("idempotency key purge failed", exc_info=True)
        try:
            from registry.services.sync import purge_runs as purge_sync_runs

            await purge_sync_runs(db, clock())
        except Exception:
            log.warning("sync run purge failed", exc_info=True)
        try:
            from registry.services.webhooks import purge_outbox

            await purge_outbox(db, clock(), timedelta(days=settings.outbox_retention_days))
        except Exception:
            log.warning("outbox purge failed", exc_info=True)
        await asyncio.sleep(6 * 3600)


async def _outbox_loop(db: Db, settings: Settings, clock: Callable[[], datetime]) -> None:
    """The producer of time-driven events (registry.services.events.produce_due): each round, on every
    server; one at a time across them (an advisory lock), each event once (its dedupe key)."""
    from registry.services.events import produce_due

    while True:
        try:
            written = await produce_due(db, clock)
            if written:
                log.info("wrote %d time-driven events to the outbox", written)
        except Exception:  # the database may be away; the next round tries again
            log.warning("the outbox producer's round failed", exc_info=True)
        await asyncio.sleep(settings.outbox_every_seconds)


async def _mail_loop(db: Db, settings: Settings, clock: Callable[[], datetime]) -> None:
    """The mailer (registry.services.mail.run_round): each round, on every server; one at a time across
    them (an advisory lock), each mail once (the mail log)."""
    from registry.services.mail import run_round

    while True:
        try:
            stats = await run_round(db, settings, clock)
            if stats is not None and (stats.sent or stats.no_address or stats.refused):
                log.info("mail: %d sent (%d digests), %d without an address, %d refused", stats.sent,
                         stats.digests, stats.no_address, stats.refused)
        except Exception:  # the SMTP server or the database may be away; the next round tries again
            log.warning("the mailer's round failed; it tries again", exc_info=True)
        await asyncio.sleep(settings.mail_every_seconds)


async def _webhook_loop(db: Db, settings: Settings, clock: Callable[[], datetime], dsn: str | None) -> None:
    """Webhook deliveries (registry.services.webhooks.Deliverer): on every server, each attempt by one;
    woken by the change feed (`dsn`) as soon as a write commits."""
    from registry.services.webhooks import Deliverer

    while True:  # a loop that stopped on something unforeseen starts again, so webhooks never stop quietly
        try:
            await Deliverer.from_settings(db, settings, clock, dsn).run()
        except Exception:
            log.warning("the webhook delivery loop stopped; it starts again", exc_info=True)
            await asyncio.sleep(5)


async def _org_sync_loop(db: Db, settings: Settings, clock: Callable[[], datetime]) -> None:
    """The scheduled sync of the organisation from its source (REGISTRY_ORG_SYNC_*): looks each minute
    (or each interval, if shorter) whether a run is due; registry.services.sync.scheduled runs it."""
    from registry.services import sync as sync_uc
    from registry.sources import SourceConfig

    config = SourceConfig(**settings.org_sync_source)
    every = timedelta(minutes=settings.org_sync_every_minutes)
    while True:
        try:
            await sync_uc.scheduled(db, settings.org_sync_tenant, config, every=every,
                                    batch_size=settings.org_sync_batch_size,
                                    review_days=settings.org_sync_review_days, clock=clock)
        except Exception:  # the database may be away, the organisation unknown: logged, tried again
            log.warning("the scheduled sync of %s could not run", settings.org_sync_tenant, exc_info=True)
        await asyncio.sleep(min(60.0, every.total_seconds()))


def _negotiated_http_error(request: Request, exc: HTTPException):
    """An address no route answers (or a method it does not take): the Danish page for a browser,
    the API's JSON error for everyone else."""
    if request.url.path.startswith(scim.BASE + "/"):  # SCIM clients get SCIM's error body
        return scim.http_error(request, exc)
    if web_errors.wants_page(request):
        return web_errors.http_error(request, exc)
    return api_errors.http_error(request, exc)


def new_engine(settings: Settings, dsn: str) -> Engine:
    return Engine(dsn, sync_interval=settings.sync_interval, stale_after=settings.stale_after,
                  min_revision_wait=settings.min_revision_wait)


def create_app(settings: Settings, *, clock: Callable[[], datetime] = utcnow, db: Db | None = None,
               engine: Engine | None = None, run_migrations: bool = True) -> Litestar:
    """The application. Tests pass their own database pool and engine; otherwise the lifespan opens
    them (starting the embedded PostgreSQL when no database URL is configured)."""
    verifier = JwtVerifier(settings)
    decision_log = DecisionLog(settings.decision_log, queue_size=settings.decision_log_queue_size,
                               batch_size=settings.decision_log_batch_size,
                               flush_interval=settings.decision_log_flush_interval)
    principals = PrincipalCache()

    def wire(db: Db, engine: Engine) -> None:
        """Writes wait for their own revision; checks log to the decision log; identity changes
        clear the principal cache."""
        db.after_commit = engine.committed
        db.outbox = settings.outbox
        engine.decision_log = decision_log
        engine.identity_listeners.append(principals.clear)

    if db is not None and engine is not None:
        wire(db, engine)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        own = app.state.get("db") is None
        embedded = None
        if own:
            # Under `registry serve` the URL is set (serve stops the embedded server); an app made by
            # app_from_env for another ASGI server stops the embedded server it started at shutdown.
            embedded, dsn = await _open_database(settings)
            if run_migrations:
                await migrate(dsn)
            app.state.db = await Db.connect(dsn, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
            app.state.engine = new_engine(settings, dsn)
            await app.state.engine.start()
            wire(app.state.db, app.state.engine)
        decision_log.start(app.state.db)
        retention = asyncio.create_task(_retention_loop(app.state.db, settings, clock), name="registry-retention")
        outbox = webhooks = None
        if settings.outbox:
            outbox = asyncio.create_task(_outbox_loop(app.state.db, settings, clock), name="registry-outbox")
            webhooks = asyncio.create_task(_webhook_loop(app.state.db, settings, clock,
                                                         getattr(app.state.engine, "dsn", None)),
                                           name="registry-webhooks")
        mail = None
        if settings.outbox and settings.smtp_host:
            mail = asyncio.create_task(_mail_loop(app.state.db, settings, clock), name="registry-mail")
        org_sync = None
        if settings.org_sync_source is not None:
            org_sync = asyncio.create_task(_org_sync_loop(app.state.db, settings, clock), name="registry-org-sync")
        await verifier.start()  # a JWKS URL: the first fetch, then refreshes in the background
        try:
            yield
        finally:
            await verifier.stop()
            for task in (retention, outbox, webhooks, mail, org_sync):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await decision_log.close(app.state.db)  # writes what is still queued
            if own:
                await app.state.engine.stop()
                await app.state.db.close()
                app.state.db = app.state.engine = None
                if embedded is not None:
                    from registry.storage.embedded import stop_embedded

                    await asyncio.to_thread(stop_embedded, embedded)

    async def graphql_context(request: Request) -> Context | None:
        # The GraphiQL page itself (a GET without a query) needs no credentials; everything else does.
        if request.method == "GET" and "query" not in request.query_params:
            return None
        headers = request.headers
        db: Db = request.app.state.db
        principal = await authenticate(db, verifier, headers.get("authorization"), headers.get("x-api-key"),
                                       clock())
        logs.principal.set(principal.actor().label)
        request.app.state.rate_limiter.take(principal)
        ctx = Ctx(db=db, principal=principal, clock=clock)
        return Context(ctx=ctx, loaders=Loaders(db, principal.tenant_id, ctx), engine=request.app.state.engine)

    graphql = graphql_controller(
        create_schema(settings), path="/graphql", context_getter=graphql_context,
        graphql_ide="graphiql" if settings.graphiql else None, allow_queries_via_get=False)

    routes = [*rest.ROUTES, *authzen.ROUTES, *casbin_routes.ROUTES, *event_routes.ROUTES]
    if settings.graphiql:
        routes.append(graphiql.graphiql_asset)  # GraphiQL's scripts and styles, served here (no CDN)
    return Litestar(
        # Every route passes the door (registry.api.authorization): the routed handlers as a guard, the
        # raw ASGI check route by calling it itself, GraphQL per field.
        # The web app's pages have their own door (registry.web.door), over the same policy.
        route_handlers=[graphql, authzen.evaluation, Router(path="/", route_handlers=routes, guards=[rest_door]),
                        scim.scim_router(),
                        *web_router(settings)],
        template_config=template_config(),
        middleware=[request_id_middleware],
        before_send=[security_headers(settings.hsts)],  # every response, routed or not
        lifespan=[lifespan],
        state=State({"db": db, "engine": engine, "settings": settings, "verifier": verifier, "clock": clock,
                     "decision_log": decision_log,
                     "principal_cache": principals,
                     "rate_limiter": RateLimiter(settings.rate_limit_person, settings.rate_limit_system)}),
        exception_handlers={**api_errors.HANDLERS, HTTPException: _negotiated_http_error},
        openapi_config=openapi.config(settings.openapi),
        request_max_body_size=1_000_000,
        debug=False,
    )


def app_from_env() -> Litestar:
    """For ASGI servers: `uvicorn --factory registry.app:app_from_env` (settings from the environment)."""
    return create_app(Settings.from_env())
