"""Words the registry says to people, in Danish, keyed by the stable codes (see DANISH.md).

One catalogue, so that a word is the same wherever it appears (the API's Danish fields, pages).
"""

from __future__ import annotations

from datetime import timedelta

# What a breach response does to a mandate while it is in force. Never more about the breach.
EFFECTS_DA = {
    "suspended": "Mandatet er midlertidigt sat i bero",
    "level_capped": "Mandatet er midlertidigt begrænset til niveau {level}",
    "pre_approval": "Dine beslutninger skal midlertidigt godkendes på forhånd",
}

# Where a mandate comes from.
BASES_DA = {
    "delegation": "Delegeret til dig",
    "delegation_team": "Delegeret til dit team",
    "leader_authority": "Som leder af enheden",
    "stand_in": "Som stedfortræder for lederen",
}


def effect_da(kind: str, capped_to: int | None = None) -> str:
    return EFFECTS_DA[kind].format(level=capped_to)


# Why a check answered as it did (the `reason` codes), as an integrating system can show it to the
# person (DANISH.md). A suspension says no more than that.
REASONS_DA = {
    "allowed": "Du har mandat",
    "leader_authority": "Du har mandat som leder af enheden",
    "no_delegation": "Beslutningen er ikke uddelegeret til dig",
    "level_too_low": "Dit mandat rækker ikke til denne handling",
    "red_line": "Beslutningen overskrider en rød linje",
    "outside_mandate": "Sagen ligger uden for de grænser, dit mandat har",
    "missing_attribute": "Der mangler oplysninger for at afgøre det",
    "not_yet_valid": "Mandatet gælder ikke endnu",
    "expired": "Mandatet er udløbet",
    "revoked": "Mandatet er trukket tilbage",
    "suspended": "Mandatet er midlertidigt sat i bero",
    "awaiting_acceptance": "Mandatet er tilbudt, men endnu ikke taget imod",
    "declined": "Mandatet blev ikke taget imod",
    "unknown_person": "Personen findes ikke i registret",
    "unknown_area": "Beslutningsområdet findes ikke i registret",
    "unknown_unit": "Enheden findes ikke i registret",
    "stale": "Registret kan ikke bekræfte, at svaret er aktuelt – prøv igen",
}

# What a permit's obligations ask of the person.
OBLIGATIONS_DA = {
    "seek_advice": "Søg råd hos lederen først",
    "justify": "Begrund dit valg fagligt",
    "report": "Orientér ved næste opfølgning",
    "pre_approval": "Få undtagelser godkendt på forhånd",
    "justify_on_request": "Vær klar til at begrunde dit valg fagligt, når lederen spørger",
    "justify_at_follow_up": "Begrund dit valg fagligt ved næste opfølgning",
}

# Every error code the registry answers with, in Danish for people (`messageDa`). An error that
# says more in Danish itself (RegistryError.message_da) takes precedence.
ERRORS_DA = {
    # not found, conflicts
    "not_found": "Det findes ikke – eller du har ikke adgang til det.",
    "conflict": "Nogen har ændret det, mens du arbejdede. Hent den nyeste udgave, og prøv igen.",
    "duplicate": "Det findes allerede.",
    "still_active": "Personen har stadig aktive tilknytninger, delegeringer eller stedfortræderaftaler.",
    "idempotency_key_reused": "Nøglen er allerede brugt til en anden forespørgsel – brug en ny.",
    # invalid input
    "invalid": "Oplysningerne er ikke gyldige.",
    "required": "Feltet skal udfyldes.",
    "too_long": "Teksten er for lang.",
    "invalid_text": "Teksten indeholder tegn, der ikke kan gemmes.",
    "invalid_choice": "Vælg en af de mulige værdier.",
    "invalid_argument": "Oplysningerne er ikke gyldige.",
    "level_out_of_range": "Delegeringsniveauet skal være mellem 1 og 7.",
    "invalid_validity": "Perioden er ikke gyldig: slutdatoen skal ligge efter startdatoen.",
    "self_delegation": "Du kan ikke delegere til dig selv.",
    "invalid_delegate": "Vælg enten en medarbejder eller et team at delegere til.",
    "invalid_depth": "Antallet af videredelegeringer er ikke gyldigt.",
    "team_outside_scope": "Teamet hører ikke til den enhed, der delegeres i.",
    "unit_cycle": "En enhed kan ikke ligge under sig selv.",
    "area_cycle": "Et beslutningsområde kan ikke ligge under sig selv.",
    "invalid_condition": "Betingelsen kan ikke læses. Se eksemplerne, og prøv igen.",
    "no_feedback_yet": "Der er ingen tilbagemelding at svare på endnu.",
    "already_asked": "Der er allerede bedt om begrundelsen for denne handling.",
    "already_justified": "Medarbejderen har allerede begrundet sit valg.",
    "no_justification_owed": "Handlingen skylder ingen faglig begrundelse: den er ikke truffet som hverdagsdirektør "
                             "under en delegering.",
    "not_unit_leader": "Kun enhedens ledere (og en stedfortræder for dem) kan skrive enhedens fælles ramme.",
    "invalid_step": "Tillidsskridtet skal pege på et andet niveau og en dag, mens delegeringen gælder.",
    "invalid_attribute": "Oplysningen passer ikke til beslutningsområdet.",
    "invalid_external_id": "Id'et kan ikke bruges.",
    "invalid_key": "Nøglen kan ikke bruges: brug små bogstaver, tal, - og _.",
    "area_name_clash": "Navnet bruges allerede af et andet beslutningsområde.",
    "archived": "Det er arkiveret og kan ikke ændres.",
    "revoked": "Delegeringen er trukket tilbage.",
    "immutable": "Det kan ikke ændres. Opret et nyt i stedet.",
    "unit_has_children": "Enheden har underenheder. Flyt eller arkivér dem først.",
    "unit_required": "Organisationen har ikke én øverste enhed, som holdet kan placeres under. Opret holdet i registret.",
    "subdelegation_conflict": "Videredelegeringen passer ikke til den delegering, den bygger på.",
    "invalid_page_size": "Antallet pr. side er ikke gyldigt.",
    "invalid_cursor": "Siden findes ikke længere. Start forfra.",
    "invalid_instant": "Tidspunktet er ikke gyldigt.",
    "date_out_of_range": "Datoen skal ligge mellem år 1900 og 2199.",
    "already_reviewed": "Opfølgningen er allerede gennemført.",
    "not_a_peer_assessment": "Som kollega kan du vurdere beslutningen som «Fagligt velbegrundet» eller «Værd at "
                             "drøfte». «Uden for rammen» er lederens vurdering.",
    "feedback_already_given": "Beslutningen har allerede fået en tilbagemelding fra en anden. Som kollega kan du "
                              "tage det op med din kollega direkte.",
    "awaiting_justification": "Medarbejderen har ikke begrundet sit valg endnu. Giv din tilbagemelding, når "
                              "begrundelsen er skrevet.",
    "already_fulfilled": "Det er allerede gjort.",
    "use_justify": "Brug »Begrund dit valg« til at skrive din faglige argumentation.",
    "purged": "Oplysningerne er slettet efter udløbet af opbevaringsperioden.",
    "no_leader": "Enheden har ingen leder.",
    "erased": "Personens oplysninger er slettet.",
    "already_erased": "Personens oplysninger er allerede slettet.",
    "self_erasure": "Du kan ikke slette dine egne oplysninger.",
    "invalid_control": "Kontrolformen er ikke gyldig.",
    "invalid_email": "E-mailadressen er ikke gyldig.",
    "unknown_action": "Handlingen findes ikke.",
    "not_concerned": "Tillidsbruddet skal handle om modtageren af delegeringen eller en medarbejder i enheden.",
    "number_out_of_range": "Tallet er for stort til at blive behandlet ens alle steder.",
    "ambiguous_area": "Flere beslutningsområder har den KLE-kode. Brug områdets nøgle.",
    "idempotency_single_mutation": "Send én ændring pr. forespørgsel, når du bruger en Idempotency-Key.",
    "invalid_idempotency_key": "Idempotency-Key skal være 1–255 synlige tegn.",
    "invalid_request": "Forespørgslen er ikke gyldig.",
    "invalid_wait": "Ventetiden skal være mellem 0 og 60 sekunder.",
    "too_many": "For mange på én gang – højst 1.000.",
    "too_large": "Forespørgslen er for stor.",
    "graphql_validation": "Forespørgslen er ikke gyldig.",
    "query_too_deep": "Forespørgslen er for dyb.",
    "too_many_tokens": "Forespørgslen er for lang.",
    "too_many_aliases": "Forespørgslen har for mange aliaser.",
    # not allowed
    "forbidden": "Du har ikke adgang til det.",
    "not_permitted": "Du har ikke adgang til det.",
    "admin_required": "Det kræver, at du er administrator.",
    "auditor_required": "Det kræver, at du er administrator eller revisor.",
    "platform_required": "Det kræver en nøgle til platformsdriften.",
    "person_required": "Det kræver, at du er logget ind som person.",
    "missing_scope": "Nøglen giver ikke adgang til det.",
    "not_authorised_to_delegate": "Du kan kun delegere – og ændre eller afslutte delegeringer – i enheder, du er "
                                  "leder af, eller det, der er delegeret til dig.",
    "exceeds_parent": "Du kan ikke give mere videre, end du selv har fået.",
    "subdelegation_not_allowed": "Delegeringen må ikke gives videre.",
    "parent_not_in_force": "Den delegering, du bygger på, gælder ikke.",
    "area_reserved": "Beslutningen er forbeholdt et højere niveau og kan ikke delegeres her.",
    "red_line_set_above": "Røde linjer sættes af lederne for enheden og enhederne over den, og en linje, der er "
                          "sat højere oppe, kan kun ændres der.",
    "not_the_leader": "Det kan kun enhedens leder.",
    "act_not_allowed": "Handlingen lå uden for dit mandat på det tidspunkt.",
    "not_your_act": "Du kan kun registrere og begrunde dine egne handlinger.",
    "not_authorised_to_review": "Det kan kun lederen af enheden eller lederne over den.",
    "not_authorised_to_record": "Det kan kun lederne over enheden.",
    "not_authorised_to_export": "Du har ikke adgang til at se personens oplysninger.",
    # issue 12, part 4: the leader's card
    "not_authorised_to_draw": "Lederkortet trækkes af lederen af enheden eller lederne over den, en "
                              "stedfortræder for dem eller den, der har delegeret – aldrig af den, der har "
                              "fået delegeringen.",
    "not_authorised_to_read": "Du har ikke adgang til at se det.",
    # end of issue 12, part 4
    # issue 12, part 6: breaches as learning
    "breach_closed": "Tillidsbruddet er afsluttet. Der kan ikke tilføjes flere svar, og beretningen står, "
                     "som den blev skrevet.",
    "not_your_breach": "Kun den medarbejder, tillidsbruddet handler om, kan skrive sin egen beretning.",
    "confirm_no_personal_data": "Bekræft, at læringspunktet ikke indeholder personoplysninger, før det deles.",
    "personal_data_in_text": "Teksten nævner en person (et navn, en e-mailadresse eller et cpr-nummer). Skriv "
                             "læringspunktet uden personoplysninger, før det deles.",
    "holder_suspended": "Dit mandat er midlertidigt sat i bero og kan ikke gives videre.",
    # credentials, service
    "unauthenticated": "Du skal logge ind.",
    "csrf_failed": "Formularen er for gammel eller kom fra et andet sted. Hent siden igen, og prøv en gang til.",
    "login_failed": "Du kunne ikke logges ind. Prøv igen, eller kontakt din it-afdeling.",
    "unknown_person": "Du er ikke oprettet i registret. Kontakt din leder eller it-afdeling.",
    "invalid_token": "Dit login er ikke gyldigt. Log ind igen.",
    "token_expired": "Dit login er udløbet. Log ind igen.",
    "invalid_api_key": "Nøglen er ikke gyldig.",
    "jwks_unavailable": "Login kan ikke kontrolleres lige nu. Prøv igen om lidt.",
    "rate_limited": "For mange forespørgsler. Vent et øjeblik, og prøv igen.",
    "unavailable": "Registret kan ikke nås lige nu. Prøv igen om lidt.",
    "stale": "Registret kan ikke bekræfte, at svaret er aktuelt – prøv igen.",
    "internal": "Der skete en uventet fejl. Den er registreret.",
    "bad_request": "Forespørgslen er ikke gyldig.",
    "method_not_allowed": "Forespørgslen er ikke tilladt her.",
    "sync_running": "En anden synkronisering af organisationen kører allerede. Prøv igen, når den er færdig.",
}


def error_da(code: str | None, own: str | None = None) -> str | None:
    """The Danish message for an error: its own, if it has one, else its code's."""
    return own or (None if code is None else ERRORS_DA.get(code))


# --- Red lines as sentences: a condition states what must hold, said with the area's own words
# (each attribute's Danish description and unit), never as `amount <= 10000`.

COMPARE_DA = {"<=": "er højst", "<": "er under", ">=": "er mindst", ">": "er over", "==": "er", "!=": "er ikke"}
# The operator turned around, for a value on the left ("10000 >= amount" says "amount <= 10000").
_FLIPPED = {"<=": ">=", "<": ">", ">=": "<=", ">": "<", "==": "==", "!=": "!="}
UNITS_DA = {"DKK": "kr.", "kr": "kr.", "kr.": "kr.", "timer": "timer", "hours": "timer", "dage": "dage",
            "days": "dage", "minutter": "minutter", "personer": "personer"}
PROHIBITION_DA = "Beslutningen må aldrig træffes under en delegering."


# A delegation's condition (a limit on that delegate's mandate) as people read it, when the leader
# wrote no words of her own: "Kun når beløb inkl. moms er højst 10.000 kr."
DELEGATION_CONDITION_LEAD_DA = "Kun når "
# A refused limit on the declare and adjust forms (the codes' own texts speak of red lines or of lists).
DELEGATION_CONDITION_ERRORS_DA = {
    "invalid_condition": "Grænsen kan ikke læses. Vælg en oplysning, der hører til beslutningsområdet, og en værdi, "
                         "der passer til den (fx et tal som 10.000).",
    "required": "Vælg en oplysning, en sammenligning og en værdi – eller lad hele grænsen stå tom.",
    "duplicate": "Den samme grænse står to gange.",
    "too_many": "Der kan højst være 20 grænser på en delegering.",
}


def condition_da(condition: str | None, attributes=(), lead: str = "Skal gælde: ") -> str:
    """A red line's condition as a Danish sentence: "Skal gælde: hviletid mellem to vagter er mindst
    11 timer." `attributes`: the area's AreaAttribute-like declarations (name, type, unit,
    description), inherited ones included. None (an outright prohibition) and a condition that can
    no longer be read both say so plainly."""
    from registry.domain import conditions as c

    if condition is None:
        return PROHIBITION_DA
    known = {a.name: a for a in attributes}
    try:
        tree = c.parse(condition)
    except c.ConditionError:
        return f"{lead}{condition}"

    def name(attr) -> str:
        found = known.get(attr.name)
        text = (found.description if found is not None and found.description else attr.name.replace("_", " "))
        return text[:1].lower() + text[1:]

    def value(lit, attr) -> str:
        if lit.type == "string":
            return f"»{lit.value}«"
        if lit.type == "boolean":
            return "ja" if lit.value else "nej"
        unit = getattr(known.get(attr.name), "unit", None) if attr is not None else None
        number = f"{lit.value:,}".replace(",", "\x00").replace(".", ",").replace("\x00", ".") \
            if isinstance(lit.value, float) else f"{lit.value:,}".replace(",", ".")
        return f"{number} {UNITS_DA.get(unit, unit)}" if unit else number

    def say(node, top: bool = False) -> str:
        if isinstance(node, c.Attr):
            return name(node)
        if isinstance(node, c.Lit):
            return value(node, None)
        if isinstance(node, c.Not):
            return f"det gælder ikke, at {say(node.operand)}"
        if isinstance(node, c.Compare):
            left, right, op = node.left, node.right, node.op
            if isinstance(left, c.Lit) and isinstance(right, c.Attr):
                left, right, op = right, left, _FLIPPED[op]
            if isinstance(left, c.Attr) and isinstance(right, c.Lit) and right.type == "boolean" and op in ("==", "!="):
                holds = right.value == (op == "==")
                return name(left) if holds else f"det gælder ikke, at {name(left)}"
            rhs = value(right, left if isinstance(left, c.Attr) else None) if isinstance(right, c.Lit) else say(right)
            return f"{say(left)} {COMPARE_DA[op]} {rhs}"
        if isinstance(node, c.Member):
            items = ", ".join(value(i, node.subject if isinstance(node.subject, c.Attr) else None) for i in node.items)
            return f"{say(node.subject)} er {'ingen' if node.negated else 'en'} af {items}"
        if isinstance(node, c.BoolOp):
            word = " og " if node.op == "and" else " eller "
            parts = [say(p) for p in node.operands]
            joined = ", ".join(parts[:-1]) + word + parts[-1]
            return joined if top else f"({joined})"
        return str(node)

    sentence = say(tree, top=True)
    return f"{lead}{sentence}" + ("" if sentence.endswith(".") else ".")


# --- Log ind med OpenID Connect (registry/web/oidc.py): the login page's messages (?fejl=...) ---
ERRORS_DA.update({
    "login_cancelled": "Du afbrød login hos din organisation, så du er ikke logget ind. Prøv igen, hvis det "
                       "var en fejl.",
    "login_stale": "Login kunne ikke gøres færdigt, fordi det var startet for længe siden eller i et andet "
                   "vindue. Prøv igen.",
})
OIDC_DA = {
    "provider_unavailable": "Din organisations login kan ikke nås lige nu. Prøv igen om lidt.",
}
# --- Follow-up and trust breaches (web-followup, #10): the leader's "Opfølgning", reviews and
# tillidsbrud. Keyed by the domain's codes (registry/services/breaches.py, reviews.py); the API shows
# them next to the codes (causeDa, responseDa, repairStatusDa, outcomeDa).

# Why trust was breached (the leader's calculated trust: competence, intention, resources).
BREACH_CAUSES_DA = {
    "competence": "Kompetence",
    "intention": "Intention og motivation",
    "resources": "Rammer og ressourcer",
    "changed_circumstances": "Ændrede forhold",
    "ill_will": "Bevidst misbrug",
}

# What the leader does about it, mildest first.
BREACH_RESPONSES_DA = {
    "dialogue": "Forventningssamtale",
    "guidance": "Mere guidning og fastere rammer",
    "extra_control": "Midlertidig ekstra kontrol",
    "lowered_level": "Midlertidigt lavere niveau",
    "suspension": "Midlertidigt i bero",
    "revocation": "Tilbagekaldelse",
    "other": "Andet",
}

# What each response does, as a hint on the form.
BREACH_RESPONSE_HINTS_DA = {
    "dialogue": "En samtale om forventninger og rammer. Mandatet er uændret.",
    "guidance": "Mere sparring og tydeligere spilleregler. Mandatet er uændret.",
    "extra_control": "Beslutningerne skal godkendes på forhånd indtil en dato.",
    "lowered_level": "Delegeringsniveauet sænkes indtil en dato.",
    "suspension": "Mandatet sættes i bero indtil en dato.",
    "revocation": "Delegeringen trækkes tilbage nu.",
    "other": "Et andet svar, som du beskriver i noten. Mandatet er uændret.",
}

# --- issue 12, part 6: breaches as learning ---------------------------------------------------------
# What the leader or the frame changes in response to a breach (not a sanction on the person).
FRAME_CHANGES_DA = {
    "resources": "Ressourcer",
    "guidance": "Vejledning og oplæring",
    "level": "Delegeringsniveau",
    "rules": "Rammer og spilleregler",
    "other": "Andet",
}
FRAME_CHANGE_HINTS_DA = {
    "resources": "Fx mere tid, flere hænder eller bedre redskaber.",
    "guidance": "Fx sparring, oplæring eller en tydeligere vejledning.",
    "level": "Fx et andet niveau på delegeringen, så det passer til opgaven.",
    "rules": "Fx en ny eller tydeligere spilleregel for alle i enheden.",
    "other": "Beskriv ændringen.",
}
BREACH_CAUSE_UNKNOWN_DA = "Ikke oplyst (slettet)"
LEARNING_SHARED_DA = "Kan deles – uden personoplysninger"
BREACH_OVERVIEW_WITHHELD_DA = ("Tallene vises ikke, fordi enheden har færre end {n} personer. Så kan ingen regne "
                               "ud, hvem de handler om.")


def breach_overview_da(total: int | None, days: int, min_people: int) -> str:
    """A unit's breaches in a sentence: never about a person."""
    if total is None:
        return BREACH_OVERVIEW_WITHHELD_DA.format(n=min_people)
    if total == 0:
        return f"Ingen tillidsbrud de seneste {days} dage."
    return f"{total} tillidsbrud de seneste {days} dage." if total != 1 else f"1 tillidsbrud de seneste {days} dage."
# --- end of issue 12, part 6

# Where the repair of trust stands.
REPAIR_STATUSES_DA = {
    "open": "Åben",
    "repairing": "Under reparation",
    "repaired": "Genoprettet",
    "closed": "Afsluttet",
}

# What a review of a delegation concluded.
REVIEW_OUTCOMES_DA = {
    "continue": "Fortsætter",
    "adjust": "Justeres",
    "end": "Ophører",
}

REVIEW_OUTCOME_HINTS_DA = {
    "continue": "Delegeringen fortsætter uændret til næste opfølgning.",
    "adjust": "Delegeringen fortsætter i en ny udgave, fx på et andet niveau.",
    "end": "Delegeringen trækkes tilbage nu.",
}

# An adjusting review that changes nothing (reviews.complete's `adjust` field).
REVIEW_ADJUST_DA = "Vælg det nye niveau, når delegeringen justeres – eller vælg »Fortsætter«."
# --- The delegation board and its forms (web-board, #10): the Danish words for the domain's codes
# (registry.domain.model), as DANISH.md suggests them. The API shows them next to the codes too.

CONTROL_FORMS_DA = {
    "none": "Ingen særlig kontrol",
    "report_afterwards": "Orientering bagefter",
    "periodic_review": "Løbende opfølgning",
    "sampling": "Stikprøver",
    "pre_approval": "Forhåndsgodkendelse af undtagelser",
    "team_self_check": "Egenkontrol i teamet",
    "peer_sparring": "Kollegial sparring",
}

CADENCES_DA = {
    "weekly": "ugentlig",
    "monthly": "månedlig",
    "quarterly": "kvartalsvis",
    "half_yearly": "halvårlig",
    "yearly": "årlig",
}

# Who set a red line.
SET_BY_DA = {
    "law": "Lovgivning",
    "political": "Politisk besluttet",
    "direktion": "Direktion",
    "forvaltning": "Forvaltning",
    "guideline": "Faglig retningslinje eller instruks",
    "agreement": "Aftale (overenskomst, MED, lokalaftale)",
    "leader": "Leder",
    "team": "Team",
}

# The leader's assessment of one trust precondition (kompetence, intention, ressourcer).
TRUST_ASSESSMENTS_DA = {"low": "Lav", "medium": "Middel", "high": "Høj"}
TRUST_PARTS_DA = {"competence": "Kompetence", "intention": "Intention og motivation",
                  "resources": "Rammer og ressourcer"}

UNIT_KINDS_DA = {
    "direktion": "Direktion",
    "forvaltning": "Forvaltning",
    "center": "Center/område",
    "unit": "Enhed/institution",
    "subunit": "Afdeling/team",
}
# A region names the five levels its own way (issue 12: unit kinds follow the organisation).
UNIT_KINDS_REGION_DA = {
    "direktion": "Koncerndirektion",
    "forvaltning": "Hospital/virksomhed",
    "center": "Center",
    "unit": "Afdeling",
    "subunit": "Afsnit",
}


def unit_kind_da(kind: str, organisation_kind: str = "kommune") -> str:
    return (UNIT_KINDS_REGION_DA if organisation_kind == "region" else UNIT_KINDS_DA)[kind]

DELEGATION_STATUS_DA = {"active": "Gælder", "suspended": "Midlertidigt i bero", "revoked": "Trukket tilbage",
                        "expired": "Udløbet", "offered": "Tilbudt – venter på svar", "declined": "Ikke taget imod"}

# A history entry's operation, as the versions of a delegation list them.
OPERATIONS_DA = {"create": "Oprettet", "update": "Ændret", "delete": "Slettet"}


def control_da(form: str, cadence: str | None) -> str:
    """"Løbende opfølgning, månedlig"."""
    text = CONTROL_FORMS_DA.get(form, form)
    return f"{text}, {CADENCES_DA.get(cadence, cadence)}" if cadence else text
# --- The employee's pages (#10: Mit mandat, acts as hverdagsdirektør, "Hvem kan beslutte?"): the
# leader's feedback on an act, an act's state, a due item's status, and the actions a check asks about.

# The leader's assessment of a justified act (services.acts.ASSESSMENTS). Feedback builds
# psychological safety: no verdicts (DANISH.md).
# After "Uden for rammen": a conversation first; a breach only if, after it, you judge it to be one.
OUTSIDE_FRAME_NEXT_DA = ("Tag en samtale med medarbejderen om rammen og om, hvad I hver især så. Et tillidsbrud "
                         "registreres kun, hvis I efter samtalen vurderer, at det er ét.")

FEEDBACK_ASSESSMENTS_DA = {
    "well_founded": "Fagligt velbegrundet",
    "worth_discussing": "Værd at drøfte",
    "not_acceptable": "Uden for rammen",
}

# In which capacity feedback was given (services.acts.REVIEWER_ROLES): the leader sees a colleague's.
FEEDBACK_ROLES_DA = {
    "leader": "leder",
    "standin": "stedfortræder for lederen",
    "delegator": "har delegeret beslutningen",
    "peer": "kollega – kollegial sparring",
}

# Where an act is in the loop act -> justify -> feedback (services.acts.state_of).
ACT_STATES_DA = {
    "awaiting_justification": "Afventer begrundelse",
    "justification_overdue": "Begrundelsen er forsinket",
    "awaiting_feedback": "Begrundet – afventer tilbagemelding",
    "recorded": "Registreret",
    "feedback_given": "Tilbagemelding givet",
}

# A due item's status (DueItem.status_at).
DUE_STATUSES_DA = {
    "open": "Mangler",
    "overdue": "Fristen er overskredet",
    "fulfilled": "Gjort",
}

# What a check asks about (the CheckAction codes, domain.decisions.ACTIONS), as a choice for a person.
CHECK_ACTIONS_DA = {
    "be_informed": "Blive orienteret",
    "be_consulted": "Blive hørt",
    "co_decide": "Beslutte sammen med lederen",
    "decide": "Beslutte",
    "act_as_hverdagsdirektoer": "Handle som hverdagsdirektør",
}

# Where someone else's mandate comes from, said of her ("Hvem kan beslutte?"; BASES_DA says "dig").
BASES_OF_OTHERS_DA = {
    "delegation": "Delegeret",
    "leader_authority": "Leder af enheden",
    "stand_in": "Stedfortræder for lederen",
}


# --- People: what they are in the organisation (membership roles) and the registry's own roles.
# Why a delegation is on the follow-up list (registry.domain.sync.REVIEW_REASONS).
REVIEW_REASONS_DA = {"delegator_left": "Erklæret af en leder, der er fratrådt"}

MEMBERSHIP_ROLES_DA = {"leader": "leder", "deputy": "souschef", "employee": "medarbejder"}
PERSON_ROLES_DA = {"admin": "administrator", "hr": "HR", "auditor": "revisor"}


# --- A planned step of trust (tillidsskridt, issue 12 part 7) ------------------------------------------

MONTHS_DA = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
             "november", "december")


def date_da(value) -> str:
    """A date as Danes write it: 1. juni 2027."""
    return f"{value.day}. {MONTHS_DA[value.month - 1]} {value.year}"


def trust_step_da(step) -> str:
    """"Næste tillidsskridt: niveau 6 (Hverdagsdirektør) fra 1. juni 2027 – hvis gennemgangen er
    positiv." It is planned, never automatic: the sentence says so when no terms are given."""
    from registry.domain import levels

    text = f"Næste tillidsskridt: niveau {step.level} ({levels.level(step.level).short_da})"
    if step.from_date is not None:
        text += f" fra {date_da(step.from_date)}"
    note = (step.note or "").strip().rstrip(".")
    text += f" – {note[:1].lower()}{note[1:]}" if note else " – når I har talt om det ved opfølgningen"
    return text + "."


# --- A unit's shared frame (kerneopgave and fælles spilleregler, issue 12 part 5) -----------------------

def frame_agreed_da(agreed_on, agreed_how: str) -> str:
    """"Aftalt med teamet 3. marts 2026: drøftet på personalemødet." (or less, when less is known)."""
    how = (agreed_how or "").strip().rstrip(".")
    how = how[:1].lower() + how[1:]
    if agreed_on is None:
        return f"Aftalt med teamet: {how}." if how else "Hvornår den er aftalt, er ikke skrevet."
    return f"Aftalt med teamet {date_da(agreed_on)}" + (f": {how}." if how else ".")
# --- issue 12, part 4: the leader's card (at trække lederkortet, l. 648, 987) ---------------------
LEADER_CARD_DA = "Lederkortet"
LEADER_CARD_DRAWN_DA = "Lederen har trukket lederkortet"
LEADER_CARD_DECIDED_DA = "Det besluttede"
LEADER_CARD_WHY_DA = "Hvorfor"
LEADER_CARD_DRAW_DA = "Træk lederkortet"
# What the card means, said to the delegate and the leader alike: not a verdict on the employee.
LEADER_CARD_HINT_DA = ("Når lederen selv beslutter i en sag, der er delegeret, trækker hun lederkortet. "
                       "Delegeringen er uændret, og det er ikke en vurdering af medarbejderen.")


def leader_cards_count_da(count: int, days: int) -> str:
    """"Lederkortet er trukket 2 gange de seneste 90 dage." (a number for the unit, never a judgement)"""
    if count == 0:
        return f"Lederkortet er ikke trukket de seneste {days} dage."
    times = "én gang" if count == 1 else f"{count} gange"
    return f"Lederkortet er trukket {times} de seneste {days} dage."
# --- end of issue 12, part 4 ---------------------------------------------------------------------


# How the justification of a hverdagsdirektør act is owed, as the leader chooses (issue 12 part 2).
ACCOUNT_MODES_DA = {
    "on_request": "Når lederen spørger",
    "within_days": "Inden for et antal dage",
    "at_follow_up": "Ved næste opfølgning",
}


# --- issue 12, part 1: a delegation is offered and taken up --------------------------------------

ERRORS_DA.update({
    "not_the_delegate": "Kun den, mandatet er tilbudt (eller et medlem af teamet), kan svare på tilbuddet.",
    "offer_expired": "Tilbuddet er udløbet, fordi perioden for mandatet er slut. Tal med din leder om et nyt.",
    "offer_closed": "Tilbuddet er allerede besvaret eller trukket tilbage.",
    "acceptance_required": "I jeres organisation skal medarbejderen selv sige ja til et mandat på dette niveau.",
    "not_a_member": "Du kan kun bede om mandat eller foreslå spilleregler i en enhed eller et team, du hører til.",
    "request_closed": "Ønsket er allerede besvaret eller trukket tilbage.",
    "not_authorised_to_answer": "Kun lederen af enheden (eller en stedfortræder) kan svare på ønsket.",
    "invalid_answer": "Svaret passer ikke til det, der er spurgt om.",
    "invalid_level": "Niveauet skal være mellem 1 og 7.",
    "declined": "Medarbejderen har sagt nej tak til delegeringen. Vil du tilbyde noget andet, så opret en ny.",
    "offer_no_longer_valid": "Udvidelsen kan ikke længere træde i kraft, fordi rammerne har ændret sig. Tal med din "
                             "leder – lederen kan trække den tilbage og tilbyde en ny.",
    "not_authorised": "Det har du ikke adgang til.",
    "invalid_kle": "Et KLE-nummer skrives som 88, 88.01 eller 88.01.00 – med handlingsfacet kun på et emne, "
                   "fx 88.01.00G01.",
})

OFFER_KINDS_DA = {"new": "Nyt mandat", "widening": "Udvidelse af dit mandat", "narrowing": "Dit mandat er indskrænket"}
OFFER_STATUS_DA = {"open": "Venter på svar", "accepted": "Taget imod", "declined": "Sagt nej tak",
                   "withdrawn": "Trukket tilbage", "seen": "Set"}
NOTICE_UNSEEN_DA = "Ikke set endnu"  # an open narrowing notice: nothing is asked of her
OFFER_ANSWERS_DA = {"accept": "Ja tak", "decline": "Nej tak", "talk": "Ikke klar endnu – lad os tale om det",
                    "seen": "Set"}
REQUEST_KINDS_DA = {"delegation": "Ønske om mandat", "rule": "Forslag til spilleregel"}
REQUEST_STATUS_DA = {"open": "Venter på svar", "offered": "Mandat tilbudt", "adopted": "Vedtaget",
                     "declined": "Din leder har sagt nej", "withdrawn": "Trukket tilbage"}


def change_da(key: str, old, new) -> str:
    """One change to a delegation, as the delegate reads it: "Niveau 5 (Rådgivning) → 6 (Hverdagsdirektør)"."""
    from registry.domain import levels

    if key == "level":
        return f"Niveau {old} ({levels.level(old).short_da}) → {new} ({levels.level(new).short_da})"
    if key == "include_subunits":
        return "Gælder også for underenhederne" if new else "Gælder ikke længere for underenhederne"
    if key == "valid_from":
        return f"Gælder fra {date_da(new)}"
    if key == "valid_until":  # an end is the instant after the last day it covers, as Danes count it
        if new is None:
            return "Gælder uden slutdato"
        from zoneinfo import ZoneInfo

        last = (new.astimezone(ZoneInfo("Europe/Copenhagen")) - timedelta(microseconds=1)).date()
        return f"Gælder til og med {date_da(last)}"
    if key == "allow_subdelegation":
        return "Må gives videre" if new else "Må ikke længere gives videre"
    if key == "max_subdelegation_depth":
        return "Må ikke gives videre" if not new else f"Må gives videre i op til {new} led"
    if key == "conditions":
        found = [c.text_da if hasattr(c, "text_da") else c.get("text_da", "") for c in new]
        return "Grænser: " + "; ".join(found) if found else "Ingen grænser for mandatet"
    if key == "rules":
        return "Spilleregler: " + "; ".join(new) if new else "Ingen spilleregler for mandatet"
    return ""


def changes_da(current: dict, changes: dict) -> str:
    """What an amendment changes, one sentence per key, for the delegate (". " between them)."""
    found = [change_da(k, current.get(k), v) for k, v in changes.items()]
    return ". ".join(t for t in found if t)


# --- issue 13: a person's aliases (the other ids she is known by) ---------------------------------

ERRORS_DA.update({
    "alias_taken": "Id'et bruges allerede af en anden person – som alias eller som personens id. Et id må kun "
                   "pege på én person.",
    "invalid_alias_kind": "Vælg en af slagsene: login-id (sub), UUID, brugernavn (UPN) eller lønnummer.",
    "invalid_alias": "Id'et kan ikke bruges: det må ikke have mellemrum i enderne eller tegnene , ( ) [ ] \" #.",
})


# Events for integrating systems and, later, e-mail (issue 14; registry.domain.events). One sentence
# each, with no personal details: ids travel beside it, never names, notes or what a breach was about.
EVENTS_DA = {
    "delegation.offered": "Der er tilbudt en delegering, som venter på svar.",
    "delegation.declared": "Der er givet en delegering.",
    "delegation.accepted": "Delegeringen er taget imod.",
    "delegation.declined": "Delegeringen er takket nej til.",
    "delegation.amended": "Delegeringen er ændret.",
    "delegation.revoked": "Delegeringen er trukket tilbage.",
    "delegation.suspended": "Delegeringen er midlertidigt sat i bero.",
    "delegation.resumed": "Delegeringen gælder igen.",
    "delegation.expiring": "Delegeringen udløber {date}.",
    "delegation.expired": "Delegeringen er udløbet.",
    "red_line.set": "Der er sat en rød linje.",
    "red_line.changed": "En rød linje er ændret.",
    "red_line.ended": "En rød linje er ophævet.",
    "stand_in.appointed": "Der er udpeget en stedfortræder.",
    "stand_in.starting": "Stedfortræderen overtager i dag.",
    "stand_in.ending": "Stedfortræderens periode slutter i dag.",
    "stand_in.ended": "Stedfortræderens periode er afsluttet før tid.",
    "act.recorded": "Der er registreret en beslutning som hverdagsdirektør.",
    "justification.requested": "Lederen beder om en faglig begrundelse for en beslutning.",
    "justification.given": "Der er givet en faglig begrundelse.",
    "justification.overdue": "En faglig begrundelse er ikke givet til tiden.",
    "feedback.given": "Der er givet faglig feedback på en beslutning.",
    "review.due": "Delegeringen skal gennemgås {date}.",
    "review.completed": "Delegeringen er gennemgået.",
}


# --- E-mail to people (issue 14, part 3; registry.domain.mail) -----------------------------------------
# One subject and one sentence per event and recipient's part in it (delegate, actor, stand_in, leader).
# What the recipient may already read in the web app and no more: never a trust note, a justification's
# or feedback's text, or anything about a breach ("sat i bero", nothing more).
MAIL_EVENTS_DA = {
    ("delegation.offered", "delegate"): ("Du har fået tilbudt et mandat",
                                         "Din leder har tilbudt dig et mandat. Det venter på dit svar."),
    ("delegation.declared", "delegate"): ("Du har fået et nyt mandat", "Din leder har givet dig et mandat."),
    ("delegation.amended", "delegate"): ("Dit mandat er ændret", "Et af dine mandater er ændret."),
    ("delegation.revoked", "delegate"): ("Dit mandat er trukket tilbage", "Et af dine mandater er trukket tilbage."),
    ("delegation.suspended", "delegate"): ("Dit mandat er midlertidigt sat i bero",
                                           "Et af dine mandater er midlertidigt sat i bero."),
    ("delegation.resumed", "delegate"): ("Dit mandat gælder igen", "Et af dine mandater gælder igen."),
    ("delegation.expiring", "delegate"): ("Dit mandat udløber {date}",
                                          "Et af dine mandater udløber {date}. Tal med din leder, hvis det "
                                          "skal fortsætte."),
    ("feedback.given", "actor"): ("Du har fået faglig feedback",
                                  "Der er givet faglig feedback på en beslutning, du har truffet."),
    ("justification.requested", "actor"): ("Din leder beder om en faglig begrundelse",
                                           "Din leder beder dig begrunde en beslutning fagligt."),
    ("stand_in.starting", "stand_in"): ("Du er stedfortræder fra i dag",
                                        "Du er stedfortræder for lederen fra i dag."),
    ("stand_in.starting", "leader"): ("Din stedfortræder overtager i dag",
                                      "Din stedfortræder overtager fra i dag."),
    ("act.recorded", "leader"): ("En beslutning venter på din forhåndsgodkendelse",
                                 "En medarbejder har registreret en beslutning, der skal godkendes på forhånd."),
}
MAIL_GREETING_DA = "Hej {name}"
MAIL_AREA_DA = "Område: {area}"
MAIL_UNIT_DA = "Enhed: {unit}"
MAIL_LINK_DA = "Se mere i registret: {url}"
MAIL_SIGNATURE_DA = "Venlig hilsen\nDelegeringsregistret"
MAIL_FOOTER_DA = ("Du får denne mail, fordi du er en del af en delegering i registret. Dit overblik kan du få "
                  "dagligt, ugentligt eller slet ikke: {url}")
MAIL_DIGEST_FOOTER_DA = {
    "daily": "Du får dette overblik hver dag. Du kan vælge ugentligt eller intet overblik i stedet: {url}",
    "weekly": "Du får dette overblik hver mandag. Du kan vælge dagligt eller intet overblik i stedet: {url}",
}
MAIL_DIGESTS_DA = {"daily": "Dagligt", "weekly": "Ugentligt", "none": "Intet overblik"}
MAIL_DIGEST_SUBJECTS_DA = {"daily": "Dit daglige overblik", "weekly": "Dit ugentlige overblik"}
MAIL_DIGEST_INTRO_DA = "Det venter på dig i opfølgningen:"
MAIL_DIGEST_UNIT_DA = "{unit}: {summary}"


def _count_da(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def digest_summary_da(review: int, expiring: int, feedback: int, overdue: int) -> str:
    """"3 delegeringer skal gennemgås, 1 udløber inden for 14 dage, 2 begrundelser venter på din
    feedback" (the parts that are not 0)."""
    parts = []
    if review:
        parts.append(_count_da(review, "delegering skal gennemgås", "delegeringer skal gennemgås"))
    if expiring:
        parts.append(f"{expiring} udløber inden for 14 dage" if parts else
                     _count_da(expiring, "delegering udløber inden for 14 dage",
                               "delegeringer udløber inden for 14 dage"))
    if feedback:
        parts.append(_count_da(feedback, "begrundelse venter på din feedback", "begrundelser venter på din feedback"))
    if overdue:
        parts.append(_count_da(overdue, "begrundelse er forsinket", "begrundelser er forsinkede"))
    return ", ".join(parts)


ERRORS_DA.update({
    "invalid_digest": "Vælg dagligt, ugentligt eller intet overblik.",
})

# Webhooks (issue 14, part 2; registry.domain.webhooks writes the same texts, with the value, on the error)
ERRORS_DA.update({
    "invalid_url": "Adressen skal begynde med https:// (http:// kun for 127.0.0.1 eller localhost).",
    "private_url": "Adressen peger ind i et internt net. Registret sender ikke hændelser dertil, medmindre driften har "
                   "tilladt det.",
    "invalid_types": "Vælg mindst én hændelsestype.",
    "unknown_event_type": "Ukendt hændelsestype.",
    "too_many_subscriptions": "Organisationen har allerede det højeste antal abonnementer på hændelser. "
                              "Slet et, før du opretter et nyt.",
    "invalid_json": "Forespørgslen er ikke gyldig JSON.",
})
