"""Loads the demo organisation (registry/demo_data.py) through the registry's own use cases.

Going through the use cases means the demo obeys every rule a real organisation does.
"""

from __future__ import annotations

from datetime import timedelta

from registry.auth import Principal, platform_principal
from registry.demo_data import DEMO
from registry.domain.model import AreaAttribute, Control, DelegationCondition, TrustAssessment, TrustBasis, TrustStep
from registry.policy.engine import Engine
from registry.services import acts as act_uc
from registry.services import delegations as delegation_uc
from registry.services import breach_learning as learning_uc  # issue 12, part 6
from registry.services import breaches as breach_uc
from registry.services import frames as frame_uc
from registry.services import leader_cards as leader_card_uc
from registry.services import offers as offer_uc
from registry.services import requests as request_uc
from registry.services import org as org_uc
from registry.services import organisations as organisation_uc
from registry.services import redlines as red_line_uc
from registry.services.common import Ctx, utcnow
from registry.storage import offers as offer_sql
from registry.storage.db import Db

DEMO_TENANT = DEMO["tenant"]["key"]
# Whose credentials `registry serve` prints for the demo.
DEMO_LOGINS = {"leader": "mette", "employee": "anna", "admin": "admin"}


def person_external_id(key: str) -> str:
    return next(p["external_id"] for p in DEMO["people"] if p["key"] == key)


async def demo_exists(db: Db) -> bool:
    async with db.read() as conn:
        return await conn.fetchval("SELECT count(*) FROM organisation WHERE key = $1", DEMO_TENANT) > 0


async def ensure_tenant(db: Db, key: str, name: str) -> Principal:
    """Create the tenant if needed (as the platform operator would); return an administrative
    principal for loading it."""
    async with db.read() as conn:
        tenant_id = await conn.fetchval("SELECT id FROM organisation WHERE key = $1", key)
    if tenant_id is None:
        created = await organisation_uc.create_organisation(Ctx(db=db, principal=platform_principal()), key=key,
                                                            name=name)
        tenant_id = created.value[0].id
    return Principal(tenant_id=tenant_id, tenant_key=key, api_key_name="demo", scopes=frozenset({"admin"}))


async def load_demo(db: Db, clock=utcnow) -> None:
    if await demo_exists(db):
        return
    admin = await ensure_tenant(db, DEMO_TENANT, DEMO["tenant"]["name"])
    ctx = Ctx(db=db, principal=admin, clock=clock)
    now = clock()
    units, people, teams, areas, delegations = {}, {}, {}, {}, {}

    def as_person(key: str, at=None) -> Ctx:
        return Ctx(db=db, clock=clock if at is None else (lambda: at), principal=Principal(tenant_id=admin.tenant_id, tenant_key=DEMO_TENANT,
                                                           person=person_values[key]))
    for u in DEMO["units"]:
        r = await org_uc.create_unit(ctx, name=u["name"], kind=u["kind"], parent_id=units.get(u["parent"]),
                                     external_id=u["external_id"], deputies_may_delegate=u["deputies_may_delegate"])
        units[u["key"]] = r.value.id
    person_values = {}
    for p in DEMO["people"]:
        r = await org_uc.create_person(ctx, external_id=p["external_id"], name=p["name"], email=p["email"],
                                       roles=tuple(p["roles"]))
        people[p["key"]] = r.value.id
        person_values[p["key"]] = r.value
        for m in p["memberships"]:
            await org_uc.add_membership(ctx, person_id=r.value.id, unit_id=units[m["unit"]], role=m["role"],
                                        valid_from=now - timedelta(days=365), valid_to=None)
    for t in DEMO["teams"]:
        r = await org_uc.create_team(ctx, unit_id=units[t["unit"]], name=t["name"])
        teams[t["key"]] = r.value.id
        for member in t["members"]:
            await org_uc.add_team_member(ctx, team_id=r.value.id, person_id=people[member],
                                         valid_from=now - timedelta(days=365), valid_to=None)
    for a in DEMO["areas"]:
        parent_key = a["key"].rsplit("/", 1)[0] if "/" in a["key"] else None
        r = await org_uc.create_area(
            ctx, key=a["key"], name_da=a["name_da"], name_en=a["name_en"], parent_id=areas.get(parent_key),
            description=a["description"], kle=a["kle"],
            attributes=[AreaAttribute(**{**attr, "values": tuple(attr.get("values", ()))}) for attr in a["attributes"]],
            delegable=a["delegable"],
            reserved_unit_id=units.get(a["reserved_unit"]) if a["reserved_unit"] else None)
        areas[a["key"]] = r.value.id
    for d in DEMO["delegations"]:
        valid_until = None if d["valid_until_days"] is None else now + timedelta(days=d["valid_until_days"])
        # A delegation that has ended since was declared and taken up the day before it ended (issue 12,
        # part 1: an offer cannot be accepted after its period); the rest now, so history stays in order.
        when = now if valid_until is None or valid_until > now else valid_until - timedelta(days=1)
        delegator = Ctx(db=db, clock=clock if when is now else (lambda: when), principal=Principal(
            tenant_id=admin.tenant_id, tenant_key=DEMO_TENANT, person=person_values[d["delegator"]]))
        trust = TrustBasis(**{k: TrustAssessment(**v) for k, v in d["trust"].items()})
        r = await delegation_uc.declare(delegator, delegation_uc.DeclareInput(
            delegate_person_id=people.get(d["delegate_person"]), delegate_team_id=teams.get(d["delegate_team"]),
            area_id=areas[d["area"]], unit_id=units[d["unit"]], include_subunits=d["include_subunits"],
            level=d["level"], purpose=d["purpose"], trust=trust, control=Control(**d["control"]),
            rules=tuple(d["rules"]), valid_from=now + timedelta(days=d["valid_from_days"]), valid_until=valid_until,
            review_date=None if d["review_in_days"] is None else (now + timedelta(days=d["review_in_days"])).date(),
            allow_subdelegation=d["allow_subdelegation"], max_subdelegation_depth=d["max_subdelegation_depth"],
            parent_id=delegations.get(d["parent"]),
            conditions=tuple(DelegationCondition(**c) for c in d.get("conditions", ())),
            next_step=None if "next_step" not in d else TrustStep(
                level=d["next_step"]["level"], note=d["next_step"]["note"],
                from_date=(now + timedelta(days=d["next_step"]["from_in_days"])).date())))
        delegations[d["key"]] = r.value.id
        answer = d.get("answer", "accept")
        if r.value.status == "offered" and answer is not None:  # issue 12, part 1: she takes it up (or not)
            member = d["delegate_person"] or next(t["members"][0] for t in DEMO["teams"] if t["key"] == d["delegate_team"])
            async with db.read() as conn:
                offer = (await offer_sql.open_of(conn, admin.tenant_id, r.value.id, ("new",)))[0]
            await offer_uc.answer(as_person(member, None if when is now else when), offer.id, offer.version, answer,
                                  d.get("answer_note", ""))
    for f in DEMO["frames"]:
        await frame_uc.set_frame(ctx, frame_uc.FrameInput(
            unit_id=units.get(f["unit"]), team_id=teams.get(f["team"]), core_task=f["core_task"],
            rules=tuple(f["rules"]), agreed_on=(now + timedelta(days=f["agreed_days"])).date(),
            agreed_how=f["agreed_how"]))
    for line in DEMO["red_lines"]:
        await red_line_uc.create_red_line(ctx, unit_id=units[line["unit"]], area_id=areas[line["area"]],
                                          condition=line["condition"], consequence=line["consequence"],
                                          set_by=line["set_by"])
    # --- issue 12, part 4: the leader's cards, drawn by the leader herself
    for q in DEMO.get("requests", ()):  # issue 12, part 1: what employees asked of their leader
        asked = await request_uc.ask(as_person(q["person"]), request_uc.RequestInput(
            kind=q["kind"], text=q["text"], unit_id=units.get(q["unit"]), team_id=teams.get(q["team"]),
            area_id=areas.get(q.get("area")), level=q.get("level")))
        if q.get("answer"):
            await request_uc.answer(as_person(q["answerer"]), asked.value.id, asked.value.version, q["answer"],
                                    q.get("answer_note", ""))
    for card in DEMO.get("leader_cards", ()):
        leader = Ctx(db=db, clock=clock, principal=Principal(
            tenant_id=admin.tenant_id, tenant_key=DEMO_TENANT, person=person_values[card["leader"]]))
        await leader_card_uc.record(leader, leader_card_uc.CardInput(
            delegation_id=delegations[card["delegation"]], decided=card["decided"], why=card["why"],
            decided_at=now + timedelta(days=card["decided_days"])))
    # --- end of issue 12, part 4
    # --- issue 12, part 6: a breach with two responses, the employee's account, a frame change and
    # a shareable learning point, each step taken by its own person at its own (past) time
    for b in DEMO.get("breaches", ()):
        def as_(key: str, days: int) -> Ctx:
            return Ctx(db=db, clock=lambda: now + timedelta(days=days), principal=Principal(
                tenant_id=admin.tenant_id, tenant_key=DEMO_TENANT, person=person_values[key]))
        leader = as_(b["leader"], b["recorded_days"])
        recorded = (await breach_uc.record(leader, breach_uc.BreachInput(
            delegation_id=delegations[b["delegation"]], occurred_at=now + timedelta(days=b["occurred_days"]),
            description=b["description"], cause=b["cause"], response=b["response"],
            response_note=b["response_note"]))).value
        for r in b["responses"]:
            await learning_uc.add_response(as_(b["leader"], r["days"]), recorded.id, learning_uc.ResponseInput(
                response=r["response"], note=r["note"],
                until=now + timedelta(days=r["days"] + r["for_days"]) if r.get("for_days") else None))
        await learning_uc.write_account(as_(b["person"], b["account"]["days"]), recorded.id, b["account"]["text"])
        for f in b["frame_changes"]:
            await learning_uc.record_frame_change(as_(b["leader"], f["days"]), recorded.id, f["kind"], f["text"])
        for p in b["learning_points"]:
            await learning_uc.record_learning_point(as_(b["leader"], -1), recorded.id, p["text"],
                                                    shareable=p["shareable"], confirm_no_personal_data=p["shareable"])
        await breach_uc.follow_up(as_(b["leader"], -1), recorded.id, (await breach_uc.get(leader, recorded.id)).version,
                                  {"repair_status": b["repair_status"]})
    # --- end of issue 12, part 6
    # --- issue 12, part 3: an act under peer sparring, its argument, a colleague's feedback, the answer
    if DEMO.get("peer_acts"):
        engine = Engine(dsn="")  # never started: its index is read once, to check the acts as they are recorded
        async with db.pool.acquire() as raw:
            await engine.load(raw)
        for a in DEMO["peer_acts"]:
            def as_(key):
                return Ctx(db=db, clock=clock, principal=Principal(
                    tenant_id=admin.tenant_id, tenant_key=DEMO_TENANT, person=person_values[key]))
            act = (await act_uc.record(as_(a["actor"]), engine, act_uc.ActInput(
                person=person_values[a["actor"]].external_id, area=a["area"], unit=str(units[a["unit"]]),
                attributes=a["attributes"], case_ref=a["case_ref"], description=a["description"],
                occurred_at=clock()))).value
            act = (await act_uc.justify(as_(a["actor"]), act.id, act.version, a["justification"])).value
            act = (await act_uc.give_feedback(as_(a["colleague"]), act.id, act.version, a["feedback"],
                                              a["assessment"])).value.act
            await act_uc.reply(as_(a["actor"]), act.id, act.version, a["reply"])
    # --- end of issue 12, part 3


DEV_RECEIVER_PATH = "/webhooks"


DEV_REPLAY = 3


async def subscribe_dev_receiver(db: Db, url: str, clock=utcnow) -> str:
    """Development only (`registry serve`): the demo organisation's subscription to every event type,
    to the development webhook receiver at `url` (a new port each start: the one made at the last start
    is replaced). Returns its signing secret, for the receiver to verify with."""
    from registry.domain import events as ev
    from registry.services import webhooks as webhook_uc

    async with db.read() as conn:
        tenant_id = await conn.fetchval("SELECT id FROM organisation WHERE key = $1", DEMO_TENANT)
        await conn.execute(
            "DELETE FROM webhook_subscription WHERE tenant_id = $1 AND api_key_id IS NULL AND url LIKE $2",
            tenant_id, f"http://127.0.0.1:%{DEV_RECEIVER_PATH}")
    prefixes = sorted({t.split(".")[2] + "." for t in ev.TYPES})
    # The demo's three newest events are delivered at once, so the receiver's file shows deliveries
    # from the start; every later change follows.
    _, secret = await webhook_uc.subscribe_as_cli(db, tenant_id, url, prefixes, clock(), replay_last=DEV_REPLAY)
    return secret
