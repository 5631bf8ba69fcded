"""An OS2mo file export at Copenhagen's size (issue 13): 650 units and 45,000 people in the shape the
OS2mo source reads (registry/domain/os2mo.py; README "From OS2mo"), from the same organisation as
bench/sync_csv.py generates. Writes the file and times reading it into the sync's Source (the part
the OS2mo source adds to the CSV sync's plan and write, which bench/sync_csv.py measures).

    uv run python bench/os2mo_file.py [--out /tmp/os2mo-copenhagen.json] [--people 45000] [--units 650] [--seed 1]

Then, against a fresh database: `registry sync --source os2mo --file /tmp/os2mo-copenhagen.json --apply`.
Each person has one engagement (a leader also a manager role), an e-mail address and an AD it-user;
every tenth unit has two KLE numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path
from uuid import NAMESPACE_URL, uuid5

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import banner, memory_mb  # noqa: E402
from sync_csv import generate  # noqa: E402

KINDS = {"direktion": "Direktion", "forvaltning": "Forvaltning", "center": "Center", "unit": "Institution"}


def _uuid(kind: str, key: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"os2mo-bench:{kind}:{key}"))


def _validity(start: str) -> dict:
    return {"from": f"{start}T00:00:00+01:00", "to": None}


def _class(name: str) -> dict:
    return {"current": {"user_key": name, "name": name}}


def export(units: int, people: int, seed: int) -> dict:
    units_csv, staff = generate(units, people, seed)
    org_units, kles = [], []
    for n, line in enumerate(units_csv.splitlines()[1:]):
        uid, parent, name, kind = line.split(",")
        org_units.append({"uuid": _uuid("unit", uid), "validities": [{
            "name": name, "user_key": uid, "validity": _validity("2010-01-01"),
            "parent_response": {"uuid": _uuid("unit", parent)} if parent else None,
            "unit_type_response": _class(KINDS[kind]), "unit_level_response": None}]})
        if n % 10 == 0:
            for number in (f"{n % 90 + 10:02d}.{n % 30:02d}", f"{n % 90 + 10:02d}.{n % 30:02d}.{n % 20:02d}"):
                kles.append({"uuid": _uuid("kle", f"{uid}:{number}"), "validities": [{
                    "validity": _validity("2015-01-01"), "org_unit_response": {"uuid": _uuid("unit", uid)},
                    "kle_number_response": _class(number),
                    "kle_aspects_response": {"objects": [_class("Udfoerende")]}}]})
    engagements, managers, addresses, itusers = [], [], [], []
    for i, (ext, name, email, unit, leader, start, _end) in enumerate(staff):
        person = {"uuid": _uuid("person", ext), "current": {"name": name}}
        unit_ref = {"uuid": _uuid("unit", unit)}
        engagements.append({"uuid": _uuid("engagement", ext), "validities": [{
            "user_key": f"{i:06d}", "is_primary": True, "validity": _validity(start), "person_response": person,
            "org_unit_response": unit_ref}]})
        if leader == "ja":
            managers.append({"uuid": _uuid("manager", ext), "validities": [{
                "user_key": "-", "validity": _validity(start), "person_response": person, "org_unit_response": unit_ref,
                "manager_level_response": _class("Niveau 3"), "responsibilities_response": {"objects": []}}]})
        addresses.append({"uuid": _uuid("address", ext), "validities": [{
            "value": email, "validity": _validity(start), "person_response": {"uuid": person["uuid"]},
            "engagement_response": None, "address_type_response": {"current": {"user_key": "EmailEmployee",
                                                                               "scope": "EMAIL"}},
            "visibility_response": None}]})
        itusers.append({"uuid": _uuid("ituser", ext), "validities": [{
            "user_key": email, "validity": _validity(start), "person_response": {"uuid": person["uuid"]},
            "itsystem_response": _class("Active Directory")}]})
    return {"org_units": org_units, "engagements": engagements, "managers": managers, "kles": kles,
            "addresses": addresses, "itusers": itusers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="/tmp/os2mo-copenhagen.json")
    parser.add_argument("--people", type=int, default=45000)
    parser.add_argument("--units", type=int, default=650)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from registry.domain import os2mo
    from registry.sources.os2mo import read_file

    banner(f"OS2mo file export: {args.units} units, {args.people} people")
    started = time.perf_counter()
    data = export(args.units, args.people, args.seed)
    Path(args.out).write_text(json.dumps(data, ensure_ascii=False))
    print(f"written {args.out}: {Path(args.out).stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    source = os2mo.parse(read_file(args.out), today=date.today(), origin=args.out)
    print(f"read into the sync's Source: {len(source.units)} units, {len(source.people)} people in "
          f"{time.perf_counter() - started:.2f} s; memory {memory_mb()}")


if __name__ == "__main__":
    main()
