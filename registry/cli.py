"""The `registry` command: serve, migrate, export-schema, token, apikey, org, demo, sync."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from registry import logs
from registry.settings import Settings

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"
OS2MO_SECRET_VARIABLE = "REGISTRY_OS2MO_CLIENT_SECRET"  # the OS2mo client's secret: never on the command line


def export_schema_sdl() -> str:
    from registry.api.graphql.schema import create_schema

    return create_schema().as_str() + "\n"


async def _database(settings: Settings):
    from registry.app import resolve_database_url
    from registry.storage.db import Db
    from registry.storage.migrate import migrate

    dsn = await resolve_database_url(settings)
    applied = await migrate(dsn)
    return dsn, applied, await Db.connect(dsn, min_size=1, max_size=4)


def cmd_migrate(settings: Settings, args) -> int:
    async def run():
        from registry.app import resolve_database_url
        from registry.storage.migrate import migrate

        applied = await migrate(await resolve_database_url(settings))
        print("applied: " + ", ".join(applied) if applied else "the database is up to date")
    asyncio.run(run())
    return 0


def cmd_export_schema(settings: Settings, args) -> int:
    sdl = export_schema_sdl()
    if args.check:
        if not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text() != sdl:
            print(f"{SCHEMA_FILE} differs from the code's schema; run `registry export-schema`", file=sys.stderr)
            return 1
        return 0
    if args.stdout:
        sys.stdout.write(sdl)
    else:
        SCHEMA_FILE.write_text(sdl)
        print(f"wrote {SCHEMA_FILE}")
    return 0


def _mint(settings: Settings, external_id: str, tenant: str) -> str:
    from registry.auth import JwtVerifier

    return JwtVerifier(settings).mint(subject=external_id, tenant=tenant, ttl_seconds=settings.dev_token_ttl_seconds)


def cmd_token(settings: Settings, args) -> int:
    try:
        print(_mint(settings, args.person, args.tenant))
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


def cmd_apikey(settings: Settings, args) -> int:
    """create (the key is printed once), list, revoke, rotate (a new key with the same name and
    scopes; the old one is revoked in the same transaction)."""
    from datetime import datetime, timedelta, timezone

    from registry.auth import SCOPES, new_api_key
    from registry.storage import apikeys
    from registry.storage import org as org_sql
    from registry.storage.db import Actor

    if args.platform:
        return _platform_apikey(settings, args)
    if args.tenant is None or (args.apikey_command == "create" and args.scopes is None):
        print("--tenant (and, to create a key, --scopes) is required, or --platform", file=sys.stderr)
        return 2

    async def run() -> int:
        _dsn, _applied, db = await _database(settings)
        try:
            async with db.read() as conn:
                tenant = await org_sql.tenant_by_key(conn, args.tenant)
                keys = {k.id: k for k in await apikeys.of_tenant(conn, tenant.id)}
            if tenant.archived_at is not None:
                print(f"the organisation {args.tenant!r} is archived", file=sys.stderr)
                return 1
            now = datetime.now(timezone.utc)
            if args.apikey_command == "list":
                for k in keys.values():
                    state = "revoked" if k.revoked_at else "expired" if k.expires_at and k.expires_at <= now else "active"
                    print(f"{k.id}  {k.prefix}…  {k.name}  scopes={','.join(k.scopes)}  {state}"
                          f"  expires={k.expires_at or '-'}  last_used={k.last_used_at or 'never'}")
                return 0
            if args.apikey_command == "create":
                scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
                if not scopes or any(s not in SCOPES for s in scopes):
                    print(f"scopes must be a comma-separated subset of {', '.join(SCOPES)}", file=sys.stderr)
                    return 2
                expires = None if args.expires_days is None else now + timedelta(days=args.expires_days)
                secret, prefix = new_api_key()
                async with db.write(tenant.id, Actor("cli")) as tx:
                    await apikeys.create(tx, args.name, scopes, secret, prefix, expires)
                print(secret)
                return 0
            key = keys.get(_uuid_or_none(args.id))
            if key is None or key.revoked_at is not None:
                print(f"no active API key {args.id} in {args.tenant}", file=sys.stderr)
                return 1
            async with db.write(tenant.id, Actor("cli")) as tx:
                await apikeys.revoke(tx, key.id, now)
                if args.apikey_command == "rotate":
                    secret, prefix = new_api_key()
                    await apikeys.create(tx, key.name, list(key.scopes), secret, prefix, key.expires_at)
                    print(secret)
                else:
                    print(f"revoked {key.id} ({key.name})")
            return 0
        finally:
            await db.close()
    try:
        return asyncio.run(run())
    except LookupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except Exception as exc:  # a clear message, not a traceback, for an unknown tenant and the like
        print(f"could not {args.apikey_command} the key: {exc}", file=sys.stderr)
        return 1


def _platform_apikey(settings: Settings, args) -> int:
    """Platform keys (a platform operator's, in no tenant): create (printed once), list, revoke."""
    from datetime import datetime, timedelta, timezone

    from registry.auth import new_api_key
    from registry.storage import apikeys

    if args.tenant is not None or getattr(args, "scopes", None) is not None:
        print("a platform key belongs to no organisation and has no scopes: leave out --tenant and --scopes",
              file=sys.stderr)
        return 2
    if args.apikey_command == "rotate":
        print("rotate a platform key by creating a new one and revoking the old", file=sys.stderr)
        return 2

    async def run() -> int:
        _dsn, _applied, db = await _database(settings)
        now = datetime.now(timezone.utc)
        try:
            async with db.read() as conn:
                if args.apikey_command == "create":
                    expires = None if args.expires_days is None else now + timedelta(days=args.expires_days)
                    secret, prefix = new_api_key()
                    await apikeys.create_platform(conn, args.name, secret, prefix, expires, "cli")
                    print(secret)
                elif args.apikey_command == "list":
                    for k in await apikeys.platform_keys(conn):
                        state = "revoked" if k.revoked_at else \
                            "expired" if k.expires_at and k.expires_at <= now else "active"
                        print(f"{k.id}  {k.prefix}…  {k.name}  platform  {state}  expires={k.expires_at or '-'}"
                              f"  last_used={k.last_used_at or 'never'}")
                else:
                    key_id = _uuid_or_none(args.id)
                    if key_id is None or not await apikeys.revoke_platform(conn, key_id, now, "cli"):
                        print(f"no active platform key {args.id}", file=sys.stderr)
                        return 1
                    print(f"revoked {key_id}")
            return 0
        finally:
            await db.close()
    return asyncio.run(run())


def cmd_org(settings: Settings, args) -> int:
    """Organisations (tenants): create (with its first administrator), list, archive. The platform
    operator's commands; the same use cases as GraphQL's createOrganisation and friends."""
    from registry.auth import platform_principal
    from registry.errors import Invalid, RegistryError
    from registry.services import organisations as organisation_uc
    from registry.services.common import Ctx

    async def run() -> int:
        _dsn, _applied, db = await _database(settings)
        try:
            ctx = Ctx(db=db, principal=platform_principal())
            if args.org_command == "create":
                admin = None if args.with_admin is None else organisation_uc.NewAdmin(
                    external_id=args.with_admin, name=args.admin_name, email=args.admin_email)
                created = await organisation_uc.create_organisation(ctx, key=args.key, name=args.name,
                                                                    kind=args.kind, admin=admin)
                org, person = created.value
                print(f"created {org.key} ({org.name}, {org.kind}) {org.id}")
                if person is not None:
                    print(f"administrator {person.external_id}; a development token: "
                          f"{token_command(org.key, person.external_id)}")
            elif args.org_command == "list":
                for org in await organisation_uc.organisations(ctx, include_archived=args.all):
                    state = f"archived {org.archived_at:%Y-%m-%d}" if org.archived_at else "active"
                    print(f"{org.key}  {org.name}  {org.kind}  {state}  revision={org.revision}  {org.id}")
            else:
                archived = await organisation_uc.archive_organisation(ctx, key=args.key)
                print(f"archived {archived.value.key}: its people and API keys can no longer sign in")
            return 0
        finally:
            await db.close()
    try:
        return asyncio.run(run())
    except RegistryError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"{exc.code}{where}: {exc.message}", file=sys.stderr)
        return 2 if isinstance(exc, Invalid) else 1


def _uuid_or_none(value: str | None):
    from uuid import UUID

    try:
        return UUID(value) if value else None
    except ValueError:
        return None

def cmd_policy(settings: Settings, args) -> int:
    """Print the Casbin model or a tenant's policy (optionally one unit's subtree) at this instant."""
    if args.model:
        from registry.policy.projection import model_text

        sys.stdout.write(model_text())
        return 0

    async def run() -> str:
        import asyncpg
        import msgspec

        from registry.app import resolve_database_url
        from registry.policy.engine import build_index
        from registry.policy.projection import catalogue, project
        from registry.storage import changes
        from registry.storage.db import init_connection

        conn = await asyncpg.connect(await resolve_database_url(settings))
        try:
            await init_connection(conn)
            tenant = await conn.fetchval("SELECT id FROM organisation WHERE key = $1", args.tenant)
            if tenant is None:
                raise LookupError(f"no organisation with key {args.tenant!r}")
            orgs, tables = await changes.snapshot(conn, tenant)
        finally:
            await conn.close()
        index = build_index(orgs[0], tables)
        if args.catalogue:
            return msgspec.json.format(msgspec.json.encode(catalogue(index))).decode() + "\n"
        if args.unit is not None and args.unit not in index.unit_chain:
            raise LookupError(f"no unit {args.unit} in {args.tenant}")
        return project(index, time.time(), unit=args.unit).csv()
    try:
        sys.stdout.write(asyncio.run(run()))
    except LookupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def cmd_sync(settings: Settings, args) -> int:
    """Bring the organisation in step with the municipality's own systems: a dry run that prints
    what would change, or with --apply the change in one transaction."""
    from registry.domain.sync import SourceError
    from registry.errors import RegistryError
    from registry.services import sync as sync_uc
    from registry.sources import SourceConfig, SourceUnavailable, read

    config = SourceConfig(kind=args.source, units=args.units, people=args.people, file=args.file, url=args.url,
                          token_url=args.token_url, client_id=args.client_id,
                          client_secret=os.environ.get(OS2MO_SECRET_VARIABLE) if args.source == "os2mo" else None)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:  # only on a terminal (tqdm leaves it out when stderr is not one), and only when writing
            from tqdm import tqdm
            bar = tqdm(total=total, unit=" trin", desc="Synkroniserer", disable=None, mininterval=0.5)
        bar.update(done - bar.n)

    async def run():
        source = await read(config)
        _dsn, _applied, db = await _database(settings)
        try:
            return await sync_uc.run(db, args.tenant, source, source_name=args.source, apply=args.apply,
                                     review_days=args.review_days, progress=progress,
                                     batch_size=sync_uc.BATCH_SIZE if args.batch_size is None else args.batch_size)
        finally:
            await db.close()
    try:
        try:
            report = asyncio.run(run())
        finally:
            if bar is not None:
                bar.close()
    except SourceUnavailable as exc:
        print(f"{exc.code}: {exc.message_da} (intet er skrevet)", file=sys.stderr)
        return 2
    except SourceError as exc:
        print(f"{exc.code}: {exc} (intet er skrevet)", file=sys.stderr)
        return 2
    except LookupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except RegistryError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"{exc.code}{where}: {exc.message} (intet er skrevet)", file=sys.stderr)
        return 1
    print("\n".join(report.lines()))
    return 0


def cmd_purge_breaches(settings: Settings, args) -> int:
    """Purge breach details past retention now (the server also does this every six hours)."""
    async def run() -> int:
        from datetime import datetime, timedelta, timezone

        from registry.services.breaches import purge_closed

        _dsn, _applied, db = await _database(settings)
        try:
            days = args.retention_days if args.retention_days is not None else settings.breach_retention_days
            return await purge_closed(db, datetime.now(timezone.utc), timedelta(days=days))
        finally:
            await db.close()
    print(f"purged the details of {asyncio.run(run())} closed breaches")
    return 0


def cmd_demo(settings: Settings, args) -> int:
    async def run():
        from registry.demo import demo_exists, load_demo

        _dsn, _applied, db = await _database(settings)
        try:
            existed = await demo_exists(db)
            await load_demo(db)
            print("the demo organisation was already loaded" if existed else "loaded the demo organisation")
        finally:
            await db.close()
    asyncio.run(run())
    return 0


def cmd_serve(settings: Settings, args) -> int:
    """Serve until stopped. However it is stopped (Ctrl-C, SIGTERM, SIGHUP, an error), the embedded
    PostgreSQL it started is stopped too (registry.lifecycle)."""
    from registry.lifecycle import embedded_database, signals_end_the_process
    from registry.storage.embedded import EmbeddedUnavailable

    try:
        with signals_end_the_process(), embedded_database(settings) as settings:
            return _serve(settings, args)
    except EmbeddedUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 2


def _serve(settings: Settings, args) -> int:
    import uvicorn

    from registry.app import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    base = settings.public_url or f"http://{host}:{port}"
    mail_folder = None
    if settings.mode == "development" and settings.outbox and settings.smtp_host is None:
        settings, mail_folder = _development_mail(settings, base)

    async def prepare() -> list[str]:
        from registry.demo import DEMO_LOGINS, DEMO_TENANT, demo_exists, load_demo, person_external_id

        _dsn, _applied, db = await _database(settings)
        lines = []
        try:
            async with db.read() as conn:
                empty = await conn.fetchval("SELECT count(*) = 0 FROM organisation")
            if args.demo or empty:
                await load_demo(db)
                from registry.services.mail import skip_to_end

                await skip_to_end(db)  # the demo's making is no news to its people
            if mail_folder is not None:  # the digests of this week now, so the demo shows Mette's
                from registry.services.common import utcnow
                from registry.services.mail import run_round

                try:
                    await run_round(db, settings, utcnow, early=True)
                except Exception as exc:  # the mail is a convenience here; the server starts anyway
                    lines.append(f"registry: the first round of development mail failed: {exc}")
            if await demo_exists(db) and settings.jwt_secret and settings.mode == "development":
                hours = settings.dev_token_ttl_seconds // 3600
                lines.append(f"Demo organisation 'Eksempel Kommune' (tenant '{DEMO_TENANT}'). Development tokens, "
                             f"valid {hours} h; paste one line into GraphiQL's Headers tab:")
                for role, key in DEMO_LOGINS.items():
                    external_id = person_external_id(key)
                    token = _mint(settings, external_id, DEMO_TENANT)
                    lines.append(f"  {role} ({external_id}):\n    {{\"Authorization\": \"Bearer {token}\"}}")
                lines.append("More tokens (any demo person's e-mail is her external id), in another terminal "
                             f"in this folder:\n  {token_command(DEMO_TENANT, person_external_id(DEMO_LOGINS['leader']))}")
                if settings.outbox:
                    lines.append(await _dev_webhooks(db, settings))
        finally:
            await db.close()
        return lines

    lines = asyncio.run(prepare())
    app = create_app(settings)
    where = f"{base}/graphql"
    login = ("open it and sign in as any demo person, e.g. Mette Sørensen (leader) or Anna Jensen (employee)"
             if settings.dev_login else "people sign in with OpenID Connect" if settings.oidc_issuer
             else "sign-in is not configured (REGISTRY_OIDC_ISSUER, see docs/oidc.md)")
    print(f"registry: the web app (for leaders and employees) at {base}/ : {login}")
    print(f"registry: GraphiQL at {where}" if settings.graphiql else f"registry: GraphQL at {where}")
    if mail_folder is not None:
        print(f"registry: development mail (e.g. Mette Sørensen's digest) is written to {mail_folder}/ "
              f"(a local SMTP server on 127.0.0.1:{settings.smtp_port})")
    for line in lines:
        print(line)
    sys.stdout.flush()
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0


def _development_mail(settings: Settings, base: str):
    """Development without REGISTRY_SMTP_HOST: a local SMTP server (registry.devmail) that writes each
    mail to the data directory's mail folder, and the mailer pointed at it."""
    import msgspec

    from registry import devmail

    try:
        _controller, port, folder = devmail.start(settings.data_dir)
    except Exception as exc:  # aiosmtpd missing (the embedded group left out) or no port: no mail
        print(f"registry: no development mail server ({exc})", file=sys.stderr)
        return settings, None
    return msgspec.structs.replace(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                                   mail_from="Delegeringsregistret <registry@localhost>",
                                   mail_every_seconds=min(settings.mail_every_seconds, 10.0),
                                   mail_link_base=base), folder


_DEV_RECEIVER = []  # the development webhook receiver, kept running while `serve` runs


async def _dev_webhooks(db, settings: Settings) -> str:
    """Development mode: a webhook receiver on 127.0.0.1 (a free port) that verifies each delivery's
    signature and writes it to <data dir>/webhooks.jsonl and the log; the demo organisation subscribes
    to it (every event type)."""
    from registry.demo import subscribe_dev_receiver
    from registry.webhook_receiver import Receiver

    path = Path(settings.data_dir) / "webhooks.jsonl"
    receiver = Receiver(path=path).start()
    url = receiver.url  # .../webhooks (DEV_RECEIVER_PATH)
    receiver.secret = await subscribe_dev_receiver(db, url)
    _DEV_RECEIVER.append(receiver)
    return (f"Webhooks: the demo organisation's events are delivered to a development receiver at {url}, which "
            f"verifies each signature and writes the delivery to {path} (README: For integrators: events).")


def token_command(tenant: str, person: str) -> str:
    """`registry token ...` as the user must type it in another terminal in this folder: through uv
    when `serve` was started with `uv run` (the README's way; `registry` is then on no PATH), else as
    this process was started, with the data directory (which holds the development secret) if it was
    set in the environment."""
    import os
    import shlex
    import shutil

    args = f"token --tenant {shlex.quote(tenant)} --person {shlex.quote(person)}"
    uv = os.environ.get("UV")  # set by `uv run` for the commands it runs
    if uv and (Path(uv).parent / "python3").exists():  # uv installed with pip, as the README does
        command = f"python3 -m uv run registry {args}"
    elif uv:
        on_path = shutil.which("uv")
        same = on_path is not None and Path(on_path).resolve() == Path(uv).resolve()
        command = f"{'uv' if same else shlex.quote(uv)} run registry {args}"
    elif (script := shutil.which("registry")) and Path(script).resolve() == Path(sys.argv[0]).resolve():
        command = f"registry {args}"
    else:
        command = f"{shlex.quote(sys.executable)} -m registry.cli {args}"
    data_dir = os.environ.get("REGISTRY_DATA_DIR")
    return f"REGISTRY_DATA_DIR={shlex.quote(data_dir)} {command}" if data_dir else command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="registry", description="Delegation and authority registry")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the GraphQL service (starts the embedded PostgreSQL if needed)")
    serve.add_argument("--demo", action="store_true", help="load the demo organisation if it is not there")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    sub.add_parser("migrate", help="apply pending migrations")
    export = sub.add_parser("export-schema", help="write schema.graphql from the code")
    export.add_argument("--check", action="store_true", help="exit 1 if schema.graphql differs from the code")
    export.add_argument("--stdout", action="store_true")
    token = sub.add_parser("token", help="mint a development JWT for a person")
    token.add_argument("--person", required=True, help="the person's external id")
    token.add_argument("--tenant", default="eksempel")
    apikey = sub.add_parser("apikey", help="API keys for systems")
    apikey_sub = apikey.add_subparsers(dest="apikey_command", required=True)
    create = apikey_sub.add_parser("create", help="create a key; it is printed once")
    create.add_argument("--tenant", help="the organisation's key (or --platform)")
    create.add_argument("--platform", action="store_true",
                        help="a platform operator's key: creates, lists and archives organisations, in none of them")
    create.add_argument("--name", required=True)
    create.add_argument("--scopes", help="comma-separated: check,record,read,write,admin,scim,events (not with --platform)")
    create.add_argument("--expires-days", type=int, help="the key stops working after this many days")
    listing = apikey_sub.add_parser("list", help="list a tenant's keys (never the keys themselves)")
    listing.add_argument("--tenant")
    listing.add_argument("--platform", action="store_true", help="list the platform keys instead")
    for verb, text in (("revoke", "revoke a key at once"), ("rotate", "replace a key: prints the new one")):
        cmd = apikey_sub.add_parser(verb, help=text)
        cmd.add_argument("--tenant")
        cmd.add_argument("--platform", action="store_true", help="a platform key (revoke only)")
        cmd.add_argument("--id", required=True)
    org = sub.add_parser("org", help="organisations (tenants), for the platform operator")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    org_create = org_sub.add_parser("create", help="create an organisation (and its first administrator)")
    org_create.add_argument("--key", required=True, help="a-z, 0-9, - and _: names the tenant in tokens and URLs")
    org_create.add_argument("--name", required=True)
    org_create.add_argument("--kind", default="kommune", help="kommune (default) or region")
    org_create.add_argument("--with-admin", metavar="EXTERNAL_ID",
                            help="create this person (the identity provider's subject) with the ADMIN role")
    org_create.add_argument("--admin-name", help="the administrator's name (default: the external id)")
    org_create.add_argument("--admin-email")
    org_list = org_sub.add_parser("list", help="list the organisations")
    org_list.add_argument("--all", action="store_true", help="archived ones too")
    org_archive = org_sub.add_parser("archive", help="archive an organisation: its people and keys stop working")
    org_archive.add_argument("--key", required=True)
    sub.add_parser("demo", help="load the demo organisation")
    sync = sub.add_parser("sync", help="bring units, people and memberships in step with the municipality's systems")
    sync.add_argument("--source", default="csv", choices=("csv", "fk", "os2mo"))
    sync.add_argument("--url", help="os2mo: OS2mo's address, e.g. https://os2mo.kommune.dk (GraphQL v29 is used)")
    sync.add_argument("--token-url", help="os2mo: the Keycloak token URL, "
                      ".../auth/realms/mo/protocol/openid-connect/token")
    sync.add_argument("--client-id", help=f"os2mo: the client id; the secret is read from {OS2MO_SECRET_VARIABLE}")
    sync.add_argument("--units", help="CSV: id, parent_id, name, kind")
    sync.add_argument("--people",
                      help="CSV: external_id, name, email, unit_id, leader (ja/nej), start_date, end_date")
    sync.add_argument("--file", help="an export file instead of an API (JSON, see the README): fk, FK Organisation's "
                      "objects; os2mo, its GraphQL answers")
    sync.add_argument("--tenant", default="eksempel", help="the organisation's key")
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="show what would change, write nothing (the default)")
    mode.add_argument("--apply", action="store_true",
                      help="write the changes (a large change in batches; a run that stops is continued by the next)")
    sync.add_argument("--batch-size", type=int,
                      help="write a plan of more steps than this in transactions of this many (default 2000; 0: one)")
    sync.add_argument("--review-days", type=int, default=30,
                      help="after a change of leader, the former leader's delegations are due for review within this")
    purge = sub.add_parser("purge-breaches", help="purge breach details past their retention after closure")
    purge.add_argument("--retention-days", type=int, help="default: REGISTRY_BREACH_RETENTION_DAYS (730)")
    policy = sub.add_parser("policy", help="Casbin policies for other systems")
    policy_sub = policy.add_subparsers(dest="policy_command", required=True)
    export_policy = policy_sub.add_parser("export", help="print a tenant's policy (CSV) or the model")
    export_policy.add_argument("--tenant", default="eksempel")
    export_policy.add_argument("--unit", help="only what requests in this unit's subtree need")
    export_policy.add_argument("--model", action="store_true", help="print the model instead")
    export_policy.add_argument("--catalogue", action="store_true",
                               help="print the areas' attribute types and the units' external ids (JSON) instead")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    logs.configure(settings.log_format)
    handlers = {"serve": cmd_serve, "migrate": cmd_migrate, "export-schema": cmd_export_schema, "token": cmd_token,
                "apikey": cmd_apikey, "demo": cmd_demo, "policy": cmd_policy, "org": cmd_org,
                "purge-breaches": cmd_purge_breaches, "sync": cmd_sync}
    return handlers[args.command](settings, args)


if __name__ == "__main__":
    raise SystemExit(main())
