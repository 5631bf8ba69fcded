"""Demo data: the fictional municipality "Eksempel Kommune" (tenant key `eksempel`).

Pure data, loaded through the registry's normal rules by another module. Keys are English; the
domain content (units, areas, purposes, rules, red lines) is Danish, in the language of
*Tillid i ledelse* (kerneopgaven, hverdagsdirektør, spilleregler, røde linjer, kalkuleret tillid).

Conventions:
  * units, areas: parents before children;
  * dates are offsets in days from the day the data is loaded (`valid_from_days`,
    `valid_until_days`, `review_in_days`); `valid_until_days` None = open end;
  * a delegation with `parent` set is a sub-delegation: its delegator is the parent's delegate.

The story: Plejecenter Solhaven (leader Mette Sørensen) lets social- og sundhedsassistent Anna Jensen
act as hverdagsdirektør on alternative solutions in the residents' everyday life, on activities and
on small purchases; the evening shift coordinator passes shift swaps on to her team; Center for
Ældre og Pleje delegates purchasing to the nursing home leader; a trial in Egelund has expired and
a holiday-planning delegation in Hjemmeplejen Nord starts in two weeks.
"""

DEMO: dict = {
    "tenant": {"key": "eksempel", "name": "Eksempel Kommune"},

    # ------------------------------------------------------------------------------------------
    # The organisation tree: direktion > forvaltning > center > unit > subunit (5 levels)
    # ------------------------------------------------------------------------------------------
    "units": [
        {"key": "direktion", "name": "Direktionen", "kind": "direktion", "parent": None,
         "deputies_may_delegate": False, "external_id": None},
        {"key": "social", "name": "Social- og Sundhedsforvaltningen", "kind": "forvaltning", "parent": "direktion",
         "deputies_may_delegate": False, "external_id": "LOS-2000"},
        {"key": "boern", "name": "Børne- og Ungeforvaltningen", "kind": "forvaltning", "parent": "direktion",
         "deputies_may_delegate": False, "external_id": "LOS-3000"},
        {"key": "aeldre", "name": "Center for Ældre og Pleje", "kind": "center", "parent": "social",
         "deputies_may_delegate": False, "external_id": "LOS-2100"},
        {"key": "handicap", "name": "Center for Handicap og Psykiatri", "kind": "center", "parent": "social",
         "deputies_may_delegate": False, "external_id": "LOS-2200"},
        {"key": "dagtilbud", "name": "Center for Dagtilbud", "kind": "center", "parent": "boern",
         "deputies_may_delegate": False, "external_id": "LOS-3100"},
        {"key": "solhaven", "name": "Plejecenter Solhaven", "kind": "unit", "parent": "aeldre",
         "deputies_may_delegate": True, "external_id": "LOS-2110"},
        {"key": "solhaven_demens", "name": "Demensafsnittet Kastanjen, Plejecenter Solhaven", "kind": "subunit",
         "parent": "solhaven", "deputies_may_delegate": False, "external_id": "LOS-2111"},
        {"key": "egelund", "name": "Plejecenter Egelund", "kind": "unit", "parent": "aeldre",
         "deputies_may_delegate": False, "external_id": "LOS-2120"},
        {"key": "hjemmepleje_nord", "name": "Hjemmeplejen Nord", "kind": "unit", "parent": "aeldre",
         "deputies_may_delegate": False, "external_id": "LOS-2130"},
        {"key": "laerkebo", "name": "Bofællesskabet Lærkebo", "kind": "unit", "parent": "handicap",
         "deputies_may_delegate": False, "external_id": "LOS-2210"},
        {"key": "maelkeboetten", "name": "Børnehuset Mælkebøtten", "kind": "unit", "parent": "dagtilbud",
         "deputies_may_delegate": False, "external_id": "LOS-3110"},
    ],

    # ------------------------------------------------------------------------------------------
    # People. Job titles in the comments; every unit has exactly one leader.
    # ------------------------------------------------------------------------------------------
    "people": [
        # Direktionen
        {"key": "lars", "external_id": "lars.mikkelsen@eksempel.dk", "name": "Lars Mikkelsen",
         "email": "lars.mikkelsen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "direktion", "role": "leader"}]},  # kommunaldirektør
        {"key": "admin", "external_id": "jonas.kristensen@eksempel.dk", "name": "Jonas Kristensen",
         "email": "jonas.kristensen@eksempel.dk", "roles": ["admin"],
         "memberships": [{"unit": "direktion", "role": "employee"}]},  # IT- og organisationskonsulent
        {"key": "hr", "external_id": "louise.thomsen@eksempel.dk", "name": "Louise Thomsen",
         "email": "louise.thomsen@eksempel.dk", "roles": ["hr"],
         "memberships": [{"unit": "direktion", "role": "employee"}]},  # HR-partner
        {"key": "auditor", "external_id": "henrik.bach@eksempel.dk", "name": "Henrik Bach",
         "email": "henrik.bach@eksempel.dk", "roles": ["auditor"],
         "memberships": [{"unit": "direktion", "role": "employee"}]},  # intern kontrol og revision

        # Forvaltninger og centre
        {"key": "birgitte", "external_id": "birgitte.holm@eksempel.dk", "name": "Birgitte Holm",
         "email": "birgitte.holm@eksempel.dk", "roles": [],
         "memberships": [{"unit": "social", "role": "leader"}]},  # social- og sundhedsdirektør
        {"key": "peter", "external_id": "peter.lund@eksempel.dk", "name": "Peter Lund",
         "email": "peter.lund@eksempel.dk", "roles": [],
         "memberships": [{"unit": "boern", "role": "leader"}]},  # børne- og ungedirektør
        {"key": "susanne", "external_id": "susanne.kjaer@eksempel.dk", "name": "Susanne Kjær",
         "email": "susanne.kjaer@eksempel.dk", "roles": [],
         "memberships": [{"unit": "aeldre", "role": "leader"}]},  # centerchef, ældre og pleje
        {"key": "morten", "external_id": "morten.dahl@eksempel.dk", "name": "Morten Dahl",
         "email": "morten.dahl@eksempel.dk", "roles": [],
         "memberships": [{"unit": "handicap", "role": "leader"}]},  # centerchef, handicap og psykiatri
        {"key": "camilla", "external_id": "camilla.friis@eksempel.dk", "name": "Camilla Friis",
         "email": "camilla.friis@eksempel.dk", "roles": [],
         "memberships": [{"unit": "dagtilbud", "role": "leader"}]},  # dagtilbudschef

        # Plejecenter Solhaven
        {"key": "mette", "external_id": "mette.sorensen@eksempel.dk", "name": "Mette Sørensen",
         "email": "mette.sorensen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "solhaven", "role": "leader"}]},  # forstander
        {"key": "jens", "external_id": "jens.poulsen@eksempel.dk", "name": "Jens Poulsen",
         "email": "jens.poulsen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "solhaven", "role": "deputy"}]},  # souschef
        {"key": "anna", "external_id": "anna.jensen@eksempel.dk", "name": "Anna Jensen",
         "email": "anna.jensen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "solhaven", "role": "employee"}]},  # social- og sundhedsassistent
        {"key": "maria", "external_id": "maria.larsen@eksempel.dk", "name": "Maria Larsen",
         "email": "maria.larsen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "solhaven", "role": "employee"}]},  # SSA, koordinator for aftenvagten
        {"key": "fatima", "external_id": "fatima.ali@eksempel.dk", "name": "Fatima Ali",
         "email": "fatima.ali@eksempel.dk", "roles": [],
         "memberships": [{"unit": "solhaven", "role": "employee"}]},  # social- og sundhedshjælper
        {"key": "kasper", "external_id": "kasper.nielsen@eksempel.dk", "name": "Kasper Nielsen",
         "email": "kasper.nielsen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "solhaven", "role": "employee"}]},  # sygeplejerske

        # Demensafsnittet Kastanjen (subunit of Solhaven)
        {"key": "karen", "external_id": "karen.pedersen@eksempel.dk", "name": "Karen Pedersen",
         "email": "karen.pedersen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "solhaven_demens", "role": "leader"}]},  # afsnitsleder
        {"key": "mads", "external_id": "mads.christensen@eksempel.dk", "name": "Mads Christensen",
         "email": "mads.christensen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "solhaven_demens", "role": "employee"}]},  # SSA, demensnøgleperson
        {"key": "ida", "external_id": "ida.rasmussen@eksempel.dk", "name": "Ida Rasmussen",
         "email": "ida.rasmussen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "solhaven_demens", "role": "employee"}]},  # pædagogisk assistent

        # Plejecenter Egelund
        {"key": "pia", "external_id": "pia.schmidt@eksempel.dk", "name": "Pia Schmidt",
         "email": "pia.schmidt@eksempel.dk", "roles": [],
         "memberships": [{"unit": "egelund", "role": "leader"}]},  # forstander
        {"key": "niels", "external_id": "niels.jorgensen@eksempel.dk", "name": "Niels Jørgensen",
         "email": "niels.jorgensen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "egelund", "role": "employee"}]},  # social- og sundhedsassistent
        {"key": "emma", "external_id": "emma.moller@eksempel.dk", "name": "Emma Møller",
         "email": "emma.moller@eksempel.dk", "roles": [],
         "memberships": [{"unit": "egelund", "role": "employee"}]},  # social- og sundhedshjælper

        # Hjemmeplejen Nord
        {"key": "tina", "external_id": "tina.madsen@eksempel.dk", "name": "Tina Madsen",
         "email": "tina.madsen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "hjemmepleje_nord", "role": "leader"}]},  # leder af hjemmeplejen
        {"key": "rasmus", "external_id": "rasmus.johansen@eksempel.dk", "name": "Rasmus Johansen",
         "email": "rasmus.johansen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "hjemmepleje_nord", "role": "deputy"}]},  # planlægger, souschef
        {"key": "hanne", "external_id": "hanne.olsen@eksempel.dk", "name": "Hanne Olsen",
         "email": "hanne.olsen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "hjemmepleje_nord", "role": "employee"}]},  # social- og sundhedshjælper
        {"key": "ahmed", "external_id": "ahmed.hussein@eksempel.dk", "name": "Ahmed Hussein",
         "email": "ahmed.hussein@eksempel.dk", "roles": [],
         "memberships": [{"unit": "hjemmepleje_nord", "role": "employee"}]},  # social- og sundhedsassistent
        {"key": "lone", "external_id": "lone.berg@eksempel.dk", "name": "Lone Berg",
         "email": "lone.berg@eksempel.dk", "roles": [],
         "memberships": [{"unit": "hjemmepleje_nord", "role": "employee"}]},  # social- og sundhedshjælper

        # Bofællesskabet Lærkebo
        {"key": "thomas", "external_id": "thomas.bruun@eksempel.dk", "name": "Thomas Bruun",
         "email": "thomas.bruun@eksempel.dk", "roles": [],
         "memberships": [{"unit": "laerkebo", "role": "leader"}]},  # leder af bofællesskabet
        {"key": "julie", "external_id": "julie.vestergaard@eksempel.dk", "name": "Julie Vestergaard",
         "email": "julie.vestergaard@eksempel.dk", "roles": [],
         "memberships": [{"unit": "laerkebo", "role": "employee"}]},  # socialpædagog

        # Børnehuset Mælkebøtten
        {"key": "charlotte", "external_id": "charlotte.lauridsen@eksempel.dk", "name": "Charlotte Lauridsen",
         "email": "charlotte.lauridsen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "maelkeboetten", "role": "leader"}]},  # dagtilbudsleder
        {"key": "line", "external_id": "line.winther@eksempel.dk", "name": "Line Winther",
         "email": "line.winther@eksempel.dk", "roles": [],
         "memberships": [{"unit": "maelkeboetten", "role": "deputy"}]},  # pædagogisk leder
        {"key": "sara", "external_id": "sara.mortensen@eksempel.dk", "name": "Sara Mortensen",
         "email": "sara.mortensen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "maelkeboetten", "role": "employee"}]},  # pædagog
        {"key": "frederik", "external_id": "frederik.eriksen@eksempel.dk", "name": "Frederik Eriksen",
         "email": "frederik.eriksen@eksempel.dk", "roles": [],
         "memberships": [{"unit": "maelkeboetten", "role": "employee"}]},  # pædagogmedhjælper
    ],

    # ------------------------------------------------------------------------------------------
    # Teams (arbejdsfællesskaber); members are employees of the team's unit or its subtree.
    # ------------------------------------------------------------------------------------------
    "teams": [
        {"key": "aftenvagt", "name": "Aftenvagten", "unit": "solhaven",
         "members": ["anna", "maria", "fatima", "mads"]},
        {"key": "demensteam", "name": "Demensteamet i Kastanjen", "unit": "solhaven_demens",
         "members": ["mads", "ida"]},
        {"key": "nord1", "name": "Team Nord 1", "unit": "hjemmepleje_nord",
         "members": ["hanne", "ahmed", "lone"]},
        {"key": "sommerfuglene", "name": "Vuggestuegruppen Sommerfuglene", "unit": "maelkeboetten",
         "members": ["sara", "frederik"]},
    ],

    # ------------------------------------------------------------------------------------------
    # Decision areas (beslutningsområder). Sub-areas inherit their ancestors' attributes.
    # KLE: only main groups we are sure of (27 Social service, 81 Kommunens personale,
    # 88 Kommunens indkøb og udbud).
    # ------------------------------------------------------------------------------------------
    "areas": [
        {"key": "economy", "name_da": "Økonomi", "name_en": "Economy",
         "description": "Beslutninger om brug af enhedens økonomiske ressourcer.",
         "kle": None, "attributes": [], "delegable": True, "reserved_unit": None},
        {"key": "economy/purchase", "name_da": "Indkøb", "name_en": "Purchasing",
         "description": "Indkøb af varer og tjenesteydelser til drift og borgernes hverdag, fx hjælpemidler, "
                        "forbrugsvarer og småanskaffelser.",
         "kle": "88",
         "attributes": [
             {"name": "amount", "type": "number", "unit": "DKK", "description": "Beløb inkl. moms"},
             {"name": "on_contract", "type": "boolean", "unit": None,
              "description": "Varen købes på en af kommunens indkøbsaftaler"},
         ],
         "delegable": True, "reserved_unit": None},
        {"key": "economy/budget", "name_da": "Budget og omplacering", "name_en": "Budget and reallocation",
         "description": "Fordeling og omplacering af budget mellem enheder og konti. Forbeholdt forvaltningens "
                        "ledelse i Social- og Sundhedsforvaltningen.",
         "kle": None, "attributes": [], "delegable": False, "reserved_unit": "social"},

        {"key": "personnel", "name_da": "Personale", "name_en": "Personnel",
         "description": "Beslutninger om personale, arbejdstid og fravær.",
         "kle": "81", "attributes": [], "delegable": True, "reserved_unit": None},
        {"key": "personnel/shift-planning", "name_da": "Vagtplanlægning", "name_en": "Shift planning",
         "description": "Tilrettelæggelse af vagtplan, vagtbytte og dækning af vagter, så borgerne møder "
                        "kendte og kompetente medarbejdere.",
         "kle": None,
         "attributes": [
             {"name": "shift_swap", "type": "boolean", "unit": None,
              "description": "Beslutningen er et vagtbytte mellem kolleger"},
             {"name": "extra_hours", "type": "number", "unit": "timer",
              "description": "Ekstra timer (merarbejde eller overarbejde), som beslutningen udløser"},
             {"name": "rest_hours", "type": "number", "unit": "timer",
              "description": "Hviletid mellem to vagter for den berørte medarbejder"},
         ],
         "delegable": True, "reserved_unit": None},
        {"key": "personnel/time-registration", "name_da": "Timeregistrering", "name_en": "Time registration",
         "description": "Registrering, rettelse og godkendelse af arbejdstid, flekstid og tillæg.",
         "kle": None,
         "attributes": [
             {"name": "corrected_hours", "type": "number", "unit": "timer",
              "description": "Antal timer, der rettes bagudrettet"},
         ],
         "delegable": True, "reserved_unit": None},
        {"key": "personnel/leave", "name_da": "Ferie og fravær", "name_en": "Holidays and leave",
         "description": "Planlægning af ferie, afspadsering og andet planlagt fravær.",
         "kle": None,
         "attributes": [
             {"name": "days", "type": "number", "unit": "dage", "description": "Antal fraværsdage"},
             {"name": "main_holiday", "type": "boolean", "unit": None,
              "description": "Fraværet ligger i hovedferieperioden (1. maj - 30. september)"},
             {"name": "colleagues_absent", "type": "number", "unit": "personer",
              "description": "Antal kolleger fra samme team, der er fraværende på samme tid"},
         ],
         "delegable": True, "reserved_unit": None},
        {"key": "personnel/hiring", "name_da": "Ansættelse og afsked", "name_en": "Hiring and dismissal",
         "description": "Ansættelse, afsked og lønforhandling. I Center for Ældre og Pleje forbeholdt "
                        "lederne med personaleansvar (sker via centrets ansættelsesudvalg).",
         "kle": None, "attributes": [], "delegable": False, "reserved_unit": "aeldre"},

        {"key": "care", "name_da": "Omsorg og borgerforløb", "name_en": "Care and citizen pathways",
         "description": "Beslutninger i den daglige omsorg, pleje og pædagogik for borgerne - kerneopgaven.",
         "kle": "27", "attributes": [], "delegable": True, "reserved_unit": None},
        {"key": "care/alternative-solutions", "name_da": "Alternative løsninger i borgerforløb",
         "name_en": "Alternative solutions in citizen care",
         "description": "Hverdagsdirektøren: medarbejderen bruger sin faglige dømmekraft til at vælge en anden "
                        "løsning end den planlagte, når det giver borgeren et bedre liv, og argumenterer "
                        "fagligt for den bagefter.",
         "kle": None,
         "attributes": [
             {"name": "deviation", "type": "boolean", "unit": None,
              "description": "Løsningen afviger fra den visiterede eller aftalte indsats"},
             {"name": "citizen_category", "type": "string", "unit": None,
              "description": "Borgerens målgruppe", "values": ["aeldre", "demens", "rehabilitering", "palliativ"]},
         ],
         "delegable": True, "reserved_unit": None},
        {"key": "care/medicine", "name_da": "Medicinhåndtering", "name_en": "Medicine handling",
         "description": "Dispensering, udlevering og observation af medicin samt PN-medicin efter lægens "
                        "ordination og enhedens instrukser.",
         "kle": None,
         "attributes": [
             {"name": "deviation", "type": "boolean", "unit": None,
              "description": "Handlingen afviger fra lægens ordination eller medicinlisten i FMK"},
         ],
         "delegable": True, "reserved_unit": None},
        {"key": "care/medicine/dosage", "name_da": "Ændring af dosis", "name_en": "Dosage changes",
         "description": "Ændring af dosis eller præparat. Kræver altid lægens ordination.",
         "kle": None, "attributes": [], "delegable": True, "reserved_unit": None},
        {"key": "care/activities", "name_da": "Aktiviteter og arrangementer for borgere",
         "name_en": "Activities and events for citizens",
         "description": "Hverdagsaktiviteter, ture, fester og arrangementer for beboere og børn.",
         "kle": None,
         "attributes": [
             {"name": "cost", "type": "number", "unit": "DKK", "description": "Samlet udgift inkl. moms"},
             {"name": "outside_home", "type": "boolean", "unit": None,
              "description": "Aktiviteten foregår uden for huset"},
             {"name": "staff_count", "type": "number", "unit": "personer",
              "description": "Antal medarbejdere med på aktiviteten"},
         ],
         "delegable": True, "reserved_unit": None},
        {"key": "care/relatives", "name_da": "Samarbejde med pårørende", "name_en": "Cooperation with relatives",
         "description": "Aftaler, samtaler og løbende kontakt med pårørende og netværk.",
         "kle": None,
         "attributes": [
             {"name": "health_information_shared", "type": "boolean", "unit": None,
              "description": "Der videregives helbredsoplysninger om borgeren"},
             {"name": "consent", "type": "boolean", "unit": None,
              "description": "Borgeren (eller værgen) har givet samtykke til videregivelsen"},
         ],
         "delegable": True, "reserved_unit": None},
    ],

    # ------------------------------------------------------------------------------------------
    # Delegations (levels: 1 tell, 2 sell, 3 consult, 4 agree, 5 advise, 6 inquire, 7 delegate)
    # ------------------------------------------------------------------------------------------
    "delegations": [
        # Center level -> unit leader: purchasing for the nursing home, may be passed on once.
        {"key": "aeldre_indkob_solhaven", "delegator": "susanne", "delegate_person": "mette", "delegate_team": None,
         "area": "economy/purchase", "unit": "solhaven", "include_subunits": True, "level": 7,
         "purpose": "Forstanderen kender beboernes behov bedst. Indkøb besluttes tæt på kerneopgaven, så "
                    "hjælpemidler og forbrugsvarer er der, når beboerne har brug for dem.",
         "trust": {"competence": {"assessment": "high",
                                  "note": "Erfaren leder med styr på budgetopfølgning og indkøbsaftaler."},
                   "intention": {"assessment": "high",
                                 "note": "Prioriterer beboernes hverdag og overholder fælles aftaler."},
                   "resources": {"assessment": "medium",
                                 "note": "Stramt driftsbudget; kræver løbende overblik over forbruget."}},
         "control": {"form": "periodic_review", "cadence": "quarterly", "justify_within_days": 5},
         "rules": ["Køb på kommunens indkøbsaftaler, hvor der findes en.",
                   "Indkøb holdes inden for Solhavens driftsbudget; forventet merforbrug drøftes med "
                   "centerchefen i god tid.",
                   "Må videregives ét led til medarbejdere i Solhaven."],
         "valid_from_days": -180, "valid_until_days": 185, "review_in_days": 90,
         "allow_subdelegation": True, "max_subdelegation_depth": 1, "parent": None},

        # Sub-delegation of the above: Mette passes small purchases on to Anna.
        {"key": "anna_indkob", "delegator": "mette", "delegate_person": "anna", "delegate_team": None,
         "area": "economy/purchase", "unit": "solhaven", "include_subunits": False, "level": 6,
         "purpose": "Anna kan selv købe det, der gør en forskel i beboernes hverdag her og nu, fx en "
                    "skridsikker måtte eller materialer til en aktivitet, uden at vente på lederen.",
         "trust": {"competence": {"assessment": "high", "note": "Kender indkøbssystemet og varekataloget."},
                   "intention": {"assessment": "high", "note": "Tænker på beboerne og på fællesskabets penge."},
                   "resources": {"assessment": "medium", "note": "Afdelingens konto til småindkøb er begrænset."}},
         # She argues for a purchase when Mette asks (the publication's own picture), not by a deadline.
         "control": {"form": "report_afterwards", "cadence": "monthly", "justify_within_days": 5,
                     "account": "on_request"},
         "rules": ["Samlet højst 20.000 kr. pr. måned.",
                   "Brug indkøbsaftalen, når varen findes der.",
                   "Kvitteringer og begrundelse lægges i indkøbsmappen samme uge."],
         # Checked at every purchase: a system asking with amount 12.000 is told outside_mandate.
         "conditions": [{"condition": "amount <= 10000", "text_da": "Op til 10.000 kr. pr. indkøb"}],
         "valid_from_days": -60, "valid_until_days": 150, "review_in_days": 45,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": "aeldre_indkob_solhaven"},

        # The evening team buys small things for the evening's activities itself, with a lower limit:
        # Anna is in the team too, and a purchase of 7.000 kr. is hers through her own delegation.
        {"key": "aftenvagt_indkob", "delegator": "mette", "delegate_person": None, "delegate_team": "aftenvagt",
         "area": "economy/purchase", "unit": "solhaven", "include_subunits": False, "level": 6,
         "purpose": "Aftenvagten kan selv købe ind til aftenens aktiviteter og det, beboerne mangler her og nu.",
         "trust": {"competence": {"assessment": "medium", "note": "Nye i teamet kender ikke alle indkøbsaftaler."},
                   "intention": {"assessment": "high", "note": "Teamet tænker på beboerne."},
                   "resources": {"assessment": "medium", "note": "Lille konto til aftenens aktiviteter."}},
         "control": {"form": "report_afterwards", "cadence": "monthly", "justify_within_days": 5},
         "rules": ["Kvitteringer lægges i indkøbsmappen samme aften."],
         "conditions": [{"condition": "amount <= 5000", "text_da": "Op til 5.000 kr. pr. indkøb"}],
         "valid_from_days": -30, "valid_until_days": 150, "review_in_days": 60,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": "aeldre_indkob_solhaven"},

        # The evening shift coordinator gets shift planning at level 7 and may pass it on once.
        {"key": "maria_vagtplan", "delegator": "mette", "delegate_person": "maria", "delegate_team": None,
         "area": "personnel/shift-planning", "unit": "solhaven", "include_subunits": True, "level": 7,
         "purpose": "Koordinatoren sikrer, at aftenvagterne er dækket med kendte ansigter, så beboerne "
                    "oplever kontinuitet og tryghed om aftenen.",
         "trust": {"competence": {"assessment": "high", "note": "Har planlagt vagter i fire år uden huller."},
                   "intention": {"assessment": "high", "note": "Tager ansvar for både beboere og kolleger."},
                   "resources": {"assessment": "medium", "note": "Få vikarer at trække på i ferieperioder."}},
         "control": {"form": "periodic_review", "cadence": "monthly", "justify_within_days": 5},
         "rules": ["Vagtplanen offentliggøres senest fire uger før den træder i kraft.",
                   "Der er altid mindst én social- og sundhedsassistent på hver aftenvagt.",
                   "Ekstra timer ud over 8 pr. uge aftales med forstanderen.",
                   "Må videregives ét led til Aftenvagten."],
         "valid_from_days": -120, "valid_until_days": 245, "review_in_days": 60,
         "allow_subdelegation": True, "max_subdelegation_depth": 1, "parent": None},

        # Sub-delegation: the coordinator lets the evening team swap shifts themselves.
        {"key": "aftenvagt_vagtbytte", "delegator": "maria", "delegate_person": None, "delegate_team": "aftenvagt",
         "area": "personnel/shift-planning", "unit": "solhaven", "include_subunits": False, "level": 6,
         "purpose": "Aftenvagten bytter selv vagter, så hverdagen kan hænge sammen for den enkelte, uden at "
                    "beboerne mister kendte medarbejdere.",
         "trust": {"competence": {"assessment": "high", "note": "Teamet kender vagtreglerne og hinanden."},
                   "intention": {"assessment": "high", "note": "Teamet har selv bedt om at få ansvaret."},
                   "resources": {"assessment": "medium", "note": "Små marginer, når nogen er syge."}},
         "control": {"form": "report_afterwards", "cadence": "weekly", "justify_within_days": 2},
         "rules": ["Et bytte skrives ind i vagtplanen, før vagten begynder.",
                   "Byt kun med en kollega med samme faglige kompetencer.",
                   "Et bytte må ikke udløse overarbejde."],
         "valid_from_days": -90, "valid_until_days": 200, "review_in_days": 60,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": "maria_vagtplan"},

        # Anna as hverdagsdirektør on alternative solutions.
        {"key": "anna_alt_losninger", "delegator": "mette", "delegate_person": "anna", "delegate_team": None,
         "area": "care/alternative-solutions", "unit": "solhaven", "include_subunits": True, "level": 6,
         "purpose": "Anna er hverdagsdirektør: hun vælger en anden løsning end den planlagte, når det giver "
                    "beboeren en bedre dag, og forklarer bagefter, hvorfor det var fagligt rigtigt. "
                    "Kerneopgaven er et værdigt og meningsfuldt liv for den enkelte beboer.",
         "trust": {"competence": {"assessment": "high",
                                  "note": "Erfaren social- og sundhedsassistent med stærk faglig dømmekraft."},
                   "intention": {"assessment": "high",
                                 "note": "Handler altid ud fra beboerens behov og deler sin viden."},
                   "resources": {"assessment": "medium",
                                 "note": "Travle aftenvagter; tid til dokumentation skal prioriteres."}},
         "control": {"form": "report_afterwards", "cadence": "monthly", "justify_within_days": 5},
         "rules": ["Dokumentér løsningen og den faglige begrundelse i omsorgsjournalen samme dag.",
                   "Inddrag beboeren og, hvor det er relevant, de pårørende.",
                   "Tag udvalgte sager op på tavlemødet, så kollegerne kan lære af dem.",
                   "Ved tvivl: spar med sygeplejersken eller lederen - det er ikke et nederlag."],
         "valid_from_days": -90, "valid_until_days": 275, "review_in_days": 60,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},

        # Anna decides on everyday activities at level 7.
        {"key": "anna_aktiviteter", "delegator": "mette", "delegate_person": "anna", "delegate_team": None,
         "area": "care/activities", "unit": "solhaven", "include_subunits": False, "level": 7,
         "purpose": "Hverdagen på Solhaven skal have indhold og glæde. Anna planlægger og gennemfører "
                    "aktiviteter med beboerne, fx gåture, sangeftermiddage og fødselsdage.",
         "trust": {"competence": {"assessment": "high", "note": "Har uddannelse i aktiviteter for ældre."},
                   "intention": {"assessment": "high", "note": "Brænder for beboernes livskvalitet."},
                   "resources": {"assessment": "high", "note": "Fast aktivitetskonto og frivillige at trække på."}},
         "control": {"form": "none", "cadence": None, "justify_within_days": 5},
         "rules": ["Aktiviteterne skal kunne rumme beboere med forskellige funktionsniveauer.",
                   "Hold kollegerne orienteret via aktivitetstavlen."],
         "valid_from_days": -30, "valid_until_days": None, "review_in_days": 150,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},

        # The nurse handles medicine at level 6, with sampling.
        {"key": "kasper_medicin", "delegator": "mette", "delegate_person": "kasper", "delegate_team": None,
         "area": "care/medicine", "unit": "solhaven", "include_subunits": True, "level": 6,
         "purpose": "Sygeplejersken tilrettelægger medicinhåndteringen, så beboerne får den rigtige medicin "
                    "til tiden, og PN-medicin gives efter en faglig vurdering.",
         "trust": {"competence": {"assessment": "high", "note": "Autoriseret sygeplejerske med erfaring i FMK."},
                   "intention": {"assessment": "high", "note": "Høj patientsikkerhedsbevidsthed."},
                   "resources": {"assessment": "medium", "note": "Eneste sygeplejerske i aftentimerne."}},
         "control": {"form": "sampling", "cadence": "monthly", "justify_within_days": 3},
         "rules": ["Følg lægens ordination og enhedens instruks for medicinhåndtering.",
                   "PN-medicin dokumenteres med begrundelse og effekt.",
                   "Utilsigtede hændelser rapporteres samme dag."],
         "valid_from_days": -200, "valid_until_days": 165, "review_in_days": 30,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},

        # The deputy delegates corrections of one's own time registration, with sampling.
        {"key": "fatima_timeregistrering", "delegator": "jens", "delegate_person": "fatima", "delegate_team": None,
         "area": "personnel/time-registration", "unit": "solhaven", "include_subunits": False, "level": 6,
         "purpose": "Fatima retter og godkender selv sin timeregistrering, så lederne bruger tiden på "
                    "beboerne og medarbejderne i stedet for at godkende timesedler.",
         "trust": {"competence": {"assessment": "high", "note": "Kender arbejdstidsreglerne."},
                   "intention": {"assessment": "high", "note": "Omhyggelig og åben om fejl."},
                   "resources": {"assessment": "high", "note": "Tidsregistreringssystemet er nemt at bruge."}},
         "control": {"form": "sampling", "cadence": "quarterly", "justify_within_days": 5},
         "rules": ["Rettelser foretages senest ved månedens udgang.",
                   "Rettelser på mere end 4 timer forklares i kommentarfeltet."],
         "valid_from_days": -100, "valid_until_days": 265, "review_in_days": 80,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},

        # The dementia team chooses alternative solutions together.
        {"key": "demensteam_alt_losninger", "delegator": "karen", "delegate_person": None,
         "delegate_team": "demensteam",
         "area": "care/alternative-solutions", "unit": "solhaven_demens", "include_subunits": False, "level": 6,
         "purpose": "Beboere med demens har brug for, at dagen følger deres rytme. Teamet tilpasser "
                    "døgnrytme, måltider og pleje, når det giver ro og livskvalitet.",
         "trust": {"competence": {"assessment": "high", "note": "Teamet er uddannet i personcentreret omsorg."},
                   "intention": {"assessment": "high", "note": "Stærkt fælles syn på kerneopgaven."},
                   "resources": {"assessment": "medium", "note": "Afhængigt af, at der er to på vagt."}},
         # Kollegial sparring (issue 12 part 3): the colleagues in Kastanjen read the team's acts and give
         # feedback on them; Karen follows up as the leader.
         "control": {"form": "peer_sparring", "cadence": "weekly", "justify_within_days": 3,
                     "why": "Teamet kender beboerne bedst og lærer mest af hinanden. Kollegerne giver hinanden "
                            "faglig sparring på løsningerne, og de tages op på ugens tavlemøde."},
         "rules": ["Løsninger tages op på ugens tavlemøde.",
                   "Ændringer i døgnrytmen noteres i beboerens døgnrytmeplan."],
         "valid_from_days": -150, "valid_until_days": 215, "review_in_days": 30,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},

        # Level 5: Mads decides on the cooperation with relatives after the leader's advice.
        {"key": "mads_paarorende", "delegator": "karen", "delegate_person": "mads", "delegate_team": None,
         "area": "care/relatives", "unit": "solhaven_demens", "include_subunits": False, "level": 5,
         "purpose": "Et godt samarbejde med de pårørende giver tryghed for beboeren. Mads aftaler rammerne "
                    "med de pårørende efter sparring med afsnitslederen.",
         "trust": {"competence": {"assessment": "medium", "note": "Ny i rollen som kontaktperson."},
                   "intention": {"assessment": "high", "note": "Tager pårørendes bekymringer alvorligt."},
                   "resources": {"assessment": "medium", "note": "Svære samtaler kræver tid og forberedelse."}},
         "control": {"form": "periodic_review", "cadence": "monthly", "justify_within_days": 5},
         "rules": ["Søg sparring hos afsnitslederen før svære samtaler.",
                   "Aftaler med pårørende skrives ind i journalen."],
         "valid_from_days": -45, "valid_until_days": 135, "review_in_days": 45,
         # A planned step of trust (tillidsskridt): it surfaces at the review, never by itself.
         "next_step": {"level": 6, "from_in_days": 45, "note": "Hvis gennemgangen ved opfølgningen er positiv"},
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},

        # Level 3: the home care team is consulted on the principles of the new shift plan.
        {"key": "nord1_vagtprincipper", "delegator": "tina", "delegate_person": None, "delegate_team": "nord1",
         "area": "personnel/shift-planning", "unit": "hjemmepleje_nord", "include_subunits": False, "level": 3,
         "purpose": "Teamet høres om principperne for den nye vagtplan (weekendrul og ruter), fordi de kender "
                    "borgerne og vejene bedst. Lederen træffer beslutningen og melder tydeligt tilbage.",
         "trust": {"competence": {"assessment": "high", "note": "Stor viden om ruter og borgere."},
                   "intention": {"assessment": "medium", "note": "Uenighed i teamet om weekendrullen."},
                   "resources": {"assessment": "medium", "note": "Kort tid til processen."}},
         "control": {"form": "none", "cadence": None, "justify_within_days": 5},
         "rules": ["Input gives på personalemødet eller skriftligt inden fristen.",
                   "Lederen begrunder beslutningen over for teamet."],
         "valid_from_days": -20, "valid_until_days": 70, "review_in_days": None,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},

        # Starts in two weeks: the home care team plans its own summer holidays (level 5).
        {"key": "nord1_ferieplan", "delegator": "tina", "delegate_person": None, "delegate_team": "nord1",
         "area": "personnel/leave", "unit": "hjemmepleje_nord", "include_subunits": False, "level": 5,
         "purpose": "Teamet lægger selv sommerferieplanen, så ønsker og borgernes behov for kendte "
                    "hjælpere balanceres af dem, der kender dem.",
         "trust": {"competence": {"assessment": "medium", "note": "Første år, teamet selv planlægger ferie."},
                   "intention": {"assessment": "high", "note": "Teamet ønsker at tage ansvaret."},
                   "resources": {"assessment": "medium", "note": "Få vikarer i sommerperioden."}},
         "control": {"form": "pre_approval", "cadence": None, "justify_within_days": 5},
         "rules": ["Alle får mindst tre ugers sammenhængende sommerferie, hvis de ønsker det.",
                   "Ferieplanen godkendes af lederen, før den offentliggøres."],
         "valid_from_days": 14, "valid_until_days": 200, "review_in_days": 120,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},

        # Expired: a trial with self-organised shift swaps in Egelund.
        {"key": "niels_vagtbytte_forsog", "delegator": "pia", "delegate_person": "niels", "delegate_team": None,
         "area": "personnel/shift-planning", "unit": "egelund", "include_subunits": False, "level": 7,
         "purpose": "Forsøg: Niels koordinerede selv vagtbytter i Egelund for at afprøve, om det giver "
                    "færre ubesatte vagter.",
         "trust": {"competence": {"assessment": "medium", "note": "Ny opgave for Niels."},
                   "intention": {"assessment": "high", "note": "Meldte sig selv til forsøget."},
                   "resources": {"assessment": "low", "note": "Ingen afsat tid til koordinering."}},
         "control": {"form": "periodic_review", "cadence": "monthly", "justify_within_days": 5},
         "rules": ["Forsøget evalueres med hele personalegruppen, når det slutter."],
         "valid_from_days": -380, "valid_until_days": -20, "review_in_days": None,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},

        # Level 1: closing days are decided by the management and told early.
        {"key": "sommerfugle_lukkedage", "delegator": "charlotte", "delegate_person": None,
         "delegate_team": "sommerfuglene",
         "area": "personnel/leave", "unit": "maelkeboetten", "include_subunits": False, "level": 1,
         "purpose": "Placering af lukkedage og fælles ferie besluttes af ledelsen ud fra forældrenes behov. "
                    "Det siges tydeligt, så ingen forventer en åben proces, der ikke er der.",
         "trust": {"competence": {"assessment": "high", "note": "Gruppen er erfaren."},
                   "intention": {"assessment": "high", "note": "Ingen tvivl om gruppens engagement."},
                   "resources": {"assessment": "low", "note": "Rammen er bundet af forvaltningens åbningstider."}},
         "control": {"form": "none", "cadence": None, "justify_within_days": 5},
         "rules": ["Lukkedage meldes ud senest 1. december for det kommende år."],
         "valid_from_days": -60, "valid_until_days": 305, "review_in_days": 240,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},

        # Level 4: the nursery group agrees the staff rota together with the leader.
        {"key": "sommerfugle_moedeplan", "delegator": "charlotte", "delegate_person": None,
         "delegate_team": "sommerfuglene",
         "area": "personnel/shift-planning", "unit": "maelkeboetten", "include_subunits": False, "level": 4,
         "purpose": "Mødeplanen lægges i fællesskab, så der er kendte voksne til børnene hele dagen, særligt "
                    "ved aflevering og afhentning.",
         "trust": {"competence": {"assessment": "high", "note": "Kender børnenes og forældrenes rytme."},
                   "intention": {"assessment": "high", "note": "Fælles ansvar for normeringen."},
                   "resources": {"assessment": "medium", "note": "Sygdom giver ofte huller i planen."}},
         "control": {"form": "periodic_review", "cadence": "quarterly", "justify_within_days": 5},
         "rules": ["Der er altid to voksne i vuggestuegruppen fra kl. 7.30 til 16.00."],
         "valid_from_days": -40, "valid_until_days": 325, "review_in_days": 90,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},

        # Level 6: the pedagogue plans trips and activities for the children.
        {"key": "sara_ture", "delegator": "charlotte", "delegate_person": "sara", "delegate_team": None,
         "area": "care/activities", "unit": "maelkeboetten", "include_subunits": False, "level": 6,
         "purpose": "Børnene skal opleve verden uden for huset. Sara planlægger ture og aktiviteter ud fra "
                    "den pædagogiske læreplan og orienterer bagefter.",
         "trust": {"competence": {"assessment": "high", "note": "Uddannet pædagog med naturfagligt fokus."},
                   "intention": {"assessment": "high", "note": "Børnenes trivsel og læring i centrum."},
                   "resources": {"assessment": "medium", "note": "Kræver, at der er voksne nok hjemme."}},
         "control": {"form": "report_afterwards", "cadence": "monthly", "justify_within_days": 5},
         "rules": ["Forældre orienteres om ture via forældreappen dagen før.",
                   "Turliste med børnenes navne og telefonnummer medbringes."],
         "valid_from_days": -70, "valid_until_days": 295, "review_in_days": 110,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},

        # Level 2: the leader decides the new model for relatives' meetings and explains why.
        {"key": "julie_paarorende", "delegator": "thomas", "delegate_person": "julie", "delegate_team": None,
         "area": "care/relatives", "unit": "laerkebo", "include_subunits": False, "level": 2,
         "purpose": "Lederen har besluttet en ny model for pårørendemøder i Lærkebo og forklarer hvorfor, så "
                    "Julie som kontaktperson kan bære den videre til de pårørende.",
         "trust": {"competence": {"assessment": "medium", "note": "Ny kontaktpersonrolle."},
                   "intention": {"assessment": "high", "note": "Stærk relation til beboerne."},
                   "resources": {"assessment": "medium", "note": "Mødeformen er ny for alle."}},
         "control": {"form": "none", "cadence": None, "justify_within_days": 5},
         "rules": ["Pårørendemøder holdes to gange om året for hver beboer, der ønsker det."],
         "valid_from_days": -30, "valid_until_days": 150, "review_in_days": 90,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},

        # Center level -> unit leader: hiring in the daycare (reserved only in Center for Ældre og Pleje).
        {"key": "dagtilbud_ansaettelse", "delegator": "camilla", "delegate_person": "charlotte",
         "delegate_team": None,
         "area": "personnel/hiring", "unit": "maelkeboetten", "include_subunits": True, "level": 6,
         "purpose": "Dagtilbudslederen ansætter selv pædagogisk personale, så det rette match til "
                    "børnegruppen og personalegruppen findes hurtigt.",
         "trust": {"competence": {"assessment": "high", "note": "Har gennemført mange ansættelser."},
                   "intention": {"assessment": "high", "note": "Følger kommunens rekrutteringspolitik."},
                   "resources": {"assessment": "medium", "note": "Lønbudgettet er fastlagt for året."}},
         "control": {"form": "report_afterwards", "cadence": "quarterly", "justify_within_days": 10},
         "rules": ["Ansættelser sker inden for lønbudgettet og efter kommunens rekrutteringspolitik.",
                   "HR inddrages ved lønforhandling og afsked."],
         "valid_from_days": -300, "valid_until_days": None, "review_in_days": 65,
         "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None},
    ],

    # ------------------------------------------------------------------------------------------
    # Red lines (røde linjer): a condition states what must HOLD; None = outright prohibition.
    # ------------------------------------------------------------------------------------------
    # Shared frames (fælles ramme): a unit's kerneopgave and fælles spilleregler, agreed with the team.
    "frames": [
        {"unit": "solhaven", "team": None,
         "core_task": "Beboerne på Solhaven skal have en hverdag, der giver mening for dem: tryghed, nærvær og "
                      "plads til egne valg.",
         "rules": ["Vi spørger beboeren først.",
                   "Vi siger det højt, når vi er i tvivl, og hjælper hinanden.",
                   "Vi griber ind, hvis en kollega er ved at overskride en rød linje."],
         "agreed_days": -60, "agreed_how": "Drøftet og aftalt på personalemødet"},
        {"unit": None, "team": "aftenvagt",
         "core_task": "Rolige aftener med kendte ansigter.",
         "rules": ["Vi giver vagten videre ansigt til ansigt."],
         "agreed_days": -30, "agreed_how": "Aftalt på teammødet"},
    ],

    "red_lines": [
        {"key": "hviletid", "unit": "direktion", "area": "personnel/shift-planning",
         "condition": "rest_hours >= 11",
         "consequence": "Vagtplanen eller vagtbyttet kan ikke gennemføres: der skal være mindst 11 timers hvile "
                        "mellem to vagter (arbejdsmiljølovens hvileregler). Kontakt lederen for en anden løsning.",
         "set_by": "law"},
        {"key": "medicin_dosis", "unit": "direktion", "area": "care/medicine/dosage", "condition": None,
         "consequence": "Ændring af dosis er aldrig delegeret; den kræver lægens ordination. Kontakt egen "
                        "læge eller vagtlæge. En ændring uden ordination indberettes som utilsigtet hændelse.",
         "set_by": "law"},
        {"key": "indkob_loft", "unit": "social", "area": "economy/purchase", "condition": "amount <= 50000",
         "consequence": "Indkøb over 50.000 kr. inkl. moms går via Indkøb og Udbud, fordi kommunens "
                        "indkøbsregler og udbudsreglerne skal overholdes. Et køb uden om kan ikke godkendes "
                        "til betaling.",
         "set_by": "forvaltning"},
        {"key": "palliation", "unit": "social", "area": "care/alternative-solutions",
         "condition": "citizen_category != 'palliativ'",
         "consequence": "I palliative forløb aftales afvigelser altid med sygeplejersken og egen læge. "
                        "Beslutningen kan ikke træffes alene under delegation.",
         "set_by": "forvaltning"},
        {"key": "paarorende_samtykke", "unit": "social", "area": "care/relatives",
         "condition": "consent or not health_information_shared",
         "consequence": "Helbredsoplysninger må kun videregives til pårørende med borgerens samtykke "
                        "(tavshedspligt). Brud drøftes med lederen og vurderes som et muligt brud på "
                        "persondatasikkerheden.",
         "set_by": "law"},
        {"key": "solhaven_medicin_afvigelse", "unit": "solhaven", "area": "care/medicine",
         "condition": "not deviation",
         "consequence": "Der må ikke afviges fra ordinationen eller medicinlisten. Sker det alligevel, "
                        "kontaktes sygeplejersken straks, og hændelsen indberettes som utilsigtet hændelse "
                        "samme dag.",
         "set_by": "leader"},
        {"key": "solhaven_aktivitet_loft", "unit": "solhaven", "area": "care/activities",
         "condition": "cost <= 2000",
         "consequence": "Aktiviteter, der koster mere end 2.000 kr., aftales med forstanderen, så "
                        "aktivitetskontoen rækker hele året.",
         "set_by": "leader"},
        {"key": "maelkeboetten_ture", "unit": "maelkeboetten", "area": "care/activities",
         "condition": "not outside_home or staff_count >= 2",
         "consequence": "Ture ud af huset sker aldrig med kun én voksen. Er der ikke to voksne til rådighed, "
                        "bliver turen aflyst eller flyttet.",
         "set_by": "leader"},
    ],
}

# --- issue 12, part 4: the leader's card (at trække lederkortet) ---------------------------------
# Mette decided one matter herself on Anna's delegation of alternative solutions, and recorded what
# and why (`decided_days` days before the data is loaded). The delegation stays as it is.
DEMO["leader_cards"] = [
    {"delegation": "anna_alt_losninger", "leader": "mette", "decided_days": -12,
     "decided": "Badet for borgeren i lejlighed 14 flyttes ikke til aftenen i denne uge. Det bliver om "
                "formiddagen, som det er aftalt med de pårørende.",
     "why": "Jeg lovede de pårørende det ved indflytningssamtalen, og det løfte står jeg selv på mål for. "
            "Din faglige vurdering var god – vi tager aftalen op på næste tavlemøde."},
]
# --- end of issue 12, part 4 ---------------------------------------------------------------------

# --- issue 12, part 6: breaches as learning ------------------------------------------------------
# The publication's own case (l. 1070-1073): first a forventningssamtale, then two months of tættere
# kontrol. Kasper, the only nurse in the evenings, gave PN medicine without documenting why; the
# cause is the frame (resources), so Mette also changes the frame, and shares what was learned
# without naming anyone. Days are relative to when the data is loaded: the control has ended, and
# the repair is under way (so no check today is changed by it).
DEMO["breaches"] = [
    {"person": "kasper", "delegation": "kasper_medicin", "leader": "mette", "occurred_days": -100,
     "recorded_days": -98, "cause": "resources", "response": "dialogue",
     "description": "PN-medicin blev givet flere aftener i træk uden dokumenteret begrundelse og effekt.",
     "response_note": "Vi tog en forventningssamtale om, hvorfor dokumentationen af PN-medicin er vigtig, og "
                      "hvad der gør den svær om aftenen.",
     "responses": [
         {"days": -95, "response": "extra_control", "for_days": 60,
          "note": "Tættere kontrol i to måneder: vi gennemgår PN-medicinen sammen hver fredag."}],
     "account": {"days": -96,
                 "text": "Om aftenen er jeg alene med medicinen til 40 beboere. Når der sker noget akut, "
                         "giver jeg det, der skal gives, og så når jeg ikke at skrive begrundelsen bagefter. "
                         "Jeg ved godt, at det skal skrives – jeg vil gerne have en måde at nå det på."},
     "frame_changes": [
         {"days": -94, "kind": "resources",
          "text": "En social- og sundhedsassistent fra Aftenvagten hjælper med medicinrunden kl. 19–21, så "
                  "sygeplejersken har tid til dokumentationen."}],
     "learning_points": [
         {"shareable": True,
          "text": "Når én person alene har ansvaret for medicinen om aftenen, bliver dokumentationen det, der "
                  "ryger. Se på bemandingen i de travle timer, før du ser på personen."}],
     "repair_status": "repairing"},
]
# --- end of issue 12, part 6 ---------------------------------------------------------------------
# --- issue 12, part 3: feedback from a colleague (kollegial sparring) ----------------------------------
# Mads chose another solution as hverdagsdirektør under the dementia team's delegation, whose control
# is peer sparring; he gave his professional argument, his colleague Ida gave feedback as a colleague,
# and he answered. Recorded through the registry's rules when the data is loaded.
DEMO["peer_acts"] = [
    {"actor": "mads", "area": "care/alternative-solutions",
     "unit": "solhaven_demens", "attributes": {"deviation": True, "citizen_category": "demens"},
     "case_ref": "Døgnrytmeplan, stue 4",
     "description": "Beboeren i stue 4 var urolig ved aftensmaden. Hun fik sit måltid kl. 19.30 i dagligstuen "
                    "med dæmpet lys i stedet for kl. 17.30 i spisestuen, som det var planlagt.",
     "justification": "Hun spiser bedst, når der er ro omkring hende, og hun har i flere uger været urolig i "
                      "spisestuen. Det senere måltid følger hendes egen døgnrytme. Hun spiste hele portionen og "
                      "sov bedre om natten. Ændringen er skrevet ind i hendes døgnrytmeplan.",
     "colleague": "ida", "assessment": "well_founded",
     "feedback": "Godt set. Jeg har oplevet det samme om eftermiddagen. Lad os tage det op på tavlemødet, så vi "
                 "gør det på samme måde på alle vagter.",
     "reply": "Tak. Jeg tager det med til tavlemødet på torsdag."},
]
# --- end of issue 12, part 3 ---------------------------------------------------------------------
# --- issue 12, part 1: a delegation is offered and taken up -------------------------------------
# Every demo delegation from level 5 up is offered and, unless it says otherwise here, accepted by its
# delegate (for a team, its first member) when the demo is loaded. These two stay as the delegates
# left them: one Anna has not answered yet, one Kasper declined with a reason.
DEMO["delegations"] += [
    {"key": "anna_paarorende", "delegator": "mette", "delegate_person": "anna", "delegate_team": None,
     "area": "care/relatives", "unit": "solhaven", "include_subunits": False, "level": 6,
     "purpose": "Pårørende skal møde én, der kender beboeren og kan give et svar. Anna aftaler besøg, "
                "arrangementer og den løbende kontakt med de pårørende til sine beboere.",
     "trust": {"competence": {"assessment": "high", "note": "Kontaktperson for fire beboere i tre år."},
               "intention": {"assessment": "high", "note": "Tager selv initiativ til pårørendesamtaler."},
               "resources": {"assessment": "medium", "note": "Aftenvagterne giver ikke altid tid til samtaler."}},
     "control": {"form": "report_afterwards", "cadence": None, "account": "on_request", "justify_within_days": 5},
     "rules": ["Aftaler med pårørende skrives i journalen samme dag."],
     "valid_from_days": 0, "valid_until_days": None, "review_in_days": 120,
     "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None, "answer": None},
    {"key": "kasper_ferieplan", "delegator": "mette", "delegate_person": "kasper", "delegate_team": None,
     "area": "personnel/leave", "unit": "solhaven", "include_subunits": False, "level": 5,
     "purpose": "Sygeplejerskerne lægger selv ferieplanen for sygeplejen, efter råd fra lederen.",
     "trust": {}, "control": {"form": "periodic_review", "cadence": "quarterly", "justify_within_days": 5},
     "rules": [], "valid_from_days": -10, "valid_until_days": None, "review_in_days": 90,
     "allow_subdelegation": False, "max_subdelegation_depth": 0, "parent": None,
     "answer": "decline",
     "answer_note": "Jeg vil gerne, men ikke før vi er to sygeplejersker i aftenvagten. Lad os tage det op igen "
                    "til efteråret."},
]

# What employees asked of their leader: Anna proposed a rule for Aftenvagten (waiting for Mette),
# Fatima asked for a delegation (waiting), and Mads's proposal for the dementia team was adopted
# into its shared frame by Karen.
DEMO["requests"] = [
    {"kind": "rule", "person": "anna", "team": "aftenvagt", "unit": None,
     "text": "Vi tager fem minutters overlevering ved vagtskiftet, også når det er travlt – og den, der går, "
             "venter, til den næste er kommet."},
    {"kind": "delegation", "person": "fatima", "team": None, "unit": "solhaven", "area": "economy/purchase",
     "level": 6, "text": "Jeg står for aktiviteterne om eftermiddagen og vil gerne selv kunne købe ind til dem "
                         "inden for budgettet, så vi ikke skal vente på en godkendelse."},
    {"kind": "rule", "person": "mads", "team": "demensteam", "unit": None,
     "text": "Vi spørger beboeren først – også når det tager længere tid.",
     "answer": "adopt", "answerer": "karen"},
]
# --- end of issue 12, part 1 --------------------------------------------------------------------
