"""Deterministic, original newsroom copy for the masthead demo site.

Why this module exists: a publishing platform cannot be judged with lorem ipsum.
Editors, designers and testers need copy with the rhythm of real journalism --
attributed claims, numbers, places, corrections -- to see whether templates,
typography and workflows hold up. Everything here is written for this project
and set in an invented world (the Republic of Arvenia, its capital Dravik and
its aggressive neighbour, the Valdorian Federation) so that no real person,
place, company or publication is ever misrepresented on a demo site.

Why everything takes a ``random.Random``: demo data must be reproducible. The
same seed has to rebuild the same site, byte for byte, so that screenshots,
visual regression tests and bug reports can be compared. Nothing in this module
keeps global state or reads the global random generator.
"""

# Typographic (curly) quotation marks are deliberate: this is published copy.
# ruff: noqa: RUF001

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

__all__ = [
    "AUTHORS",
    "DESKS",
    "FORMATS",
    "PUBLICATION",
    "SECTIONS",
    "STANDARD_PAGES",
    "clarification",
    "correction",
    "dek",
    "headline",
    "image_caption",
    "image_credit",
    "paragraphs",
    "pull_quote",
    "subheading",
    "update_note",
    "video_description",
    "video_title",
]

# ---------------------------------------------------------------------------
# Publication, sections, desks and staff
# ---------------------------------------------------------------------------

PUB_NAME = "The Arvenian Independent"

PUBLICATION: dict[str, str] = {
    "name": PUB_NAME,
    "short_name": "Arvenian Independent",
    "tagline": "Independent journalism from Arvenia, paid for by its readers.",
    "about": (
        "The Arvenian Independent is an English-language newsroom based in Dravik. "
        "We report on the war, the reforms and the people of the Republic of "
        "Arvenia for readers at home and abroad. We are owned by no oligarch, "
        "party or government, and most of our budget comes from readers who "
        "choose to become members."
    ),
    "email_domain": "example.org",
    "founded": "2016",
    "city": "Dravik",
}

# Colours are dark enough to pass WCAG AA (4.5:1) as text on white; the tests
# recompute the ratio so a careless palette change fails loudly.
SECTIONS: list[dict[str, str]] = [
    {
        "name": "War",
        "slug": "war",
        "description": "Reporting from the front line and the home front of "
        "Valdoria's full-scale invasion.",
        "colour": "#b42318",
    },
    {
        "name": "Politics",
        "slug": "politics",
        "description": "Power, parliament and reform in wartime Arvenia.",
        "colour": "#6941c6",
    },
    {
        "name": "Business",
        "slug": "business",
        "description": "The economy, markets and companies that keep the country "
        "running under fire.",
        "colour": "#067647",
    },
    {
        "name": "World",
        "slug": "world",
        "description": "Arvenia's allies, neighbours and the diplomacy that shapes the war.",
        "colour": "#175cd3",
    },
    {
        "name": "Opinion",
        "slug": "opinion",
        "description": "Arguments, editorials and essays from our columnists and guest writers.",
        "colour": "#93370d",
    },
    {
        "name": "Culture",
        "slug": "culture",
        "description": "Books, film, music and the arts in a country that refuses to go quiet.",
        "colour": "#c11574",
    },
    {
        "name": "Investigations",
        "slug": "investigations",
        "description": "Long-form accountability reporting on money, power and abuse.",
        "colour": "#3e4784",
    },
    {
        "name": "Tech & Science",
        "slug": "tech-science",
        "description": "Drones, code, research and the engineers behind Arvenia's resilience.",
        "colour": "#0e7090",
    },
    {
        "name": "Video",
        "slug": "video",
        "description": "Documentaries, dispatches and explainers from our video team.",
        "colour": "#b93815",
    },
    {
        "name": "Society",
        "slug": "society",
        "description": "Health, education, displacement and everyday life in Arvenia.",
        "colour": "#4e5ba6",
    },
]

DESKS: list[str] = [
    "Editorial leadership",
    "News desk",
    "Investigations",
    "Video",
    "Opinion",
    "Business",
    "Culture",
    "Management",
]


def _author(
    name: str,
    job_title: str,
    desk: str,
    section: str,
    bio: str,
    location: str,
    *,
    x: bool = True,
    bluesky: bool = True,
) -> dict[str, str]:
    """Build one staff record so every author has the same keys.

    Handles are derived from the name so they stay consistent with it; a few
    staff deliberately have none, because real mastheads are uneven.
    """
    slug = name.lower().replace(" ", "-")
    compact = slug.replace("-", "")
    return {
        "name": name,
        "slug": slug,
        "job_title": job_title,
        "desk": desk,
        "bio": bio,
        "location": location,
        "x_handle": f"{compact}_ai" if x else "",
        "bluesky_handle": f"{compact}.bsky.social" if bluesky else "",
        "section": section,
        "writes": "yes" if section else "no",
    }


AUTHORS: list[dict[str, str]] = [
    _author(
        "Katarina Vell",
        "Editor-in-chief",
        "Editorial leadership",
        "politics",
        "Katarina Vell has led the newsroom since 2021. She previously covered "
        "the Assembly for eight years and was part of the team that founded the "
        "paper's membership programme.",
        "Dravik",
    ),
    _author(
        "Oskar Lendl",
        "Deputy editor-in-chief",
        "Editorial leadership",
        "war",
        "Oskar Lendl oversees daily news coverage and the war desk. Before "
        "joining the Independent he spent a decade as a correspondent in "
        "Korvetz and the southern provinces.",
        "Dravik",
    ),
    _author(
        "Yarina Petrak",
        "News editor",
        "News desk",
        "society",
        "Yarina Petrak runs the news desk's morning shift and edits coverage "
        "of health, education and displacement. She trained as a sociologist "
        "at Dravik University.",
        "Dravik",
        x=False,
    ),
    _author(
        "Bohdan Kavel",
        "Military correspondent",
        "News desk",
        "war",
        "Bohdan Kavel reports on the armed forces, defence procurement and the "
        "front line. He has covered the war since its first day and is a "
        "graduate of the Korvetz Naval Academy.",
        "Varnel province",
    ),
    _author(
        "Anna Maren",
        "Frontline correspondent",
        "News desk",
        "war",
        "Anna Maren reports from the eastern provinces on civilians, soldiers "
        "and the towns caught between them. Her dispatches from Oskany won the "
        "national press award in 2025.",
        "Oskany",
        bluesky=False,
    ),
    _author(
        "Sofiya Denk",
        "Business editor",
        "Business",
        "business",
        "Sofiya Denk edits business and economics coverage, from the National "
        "Bank to grain exports. She previously worked as an analyst covering "
        "the region's banks.",
        "Dravik",
    ),
    _author(
        "Nadia Perl",
        "Technology and science reporter",
        "News desk",
        "tech-science",
        "Nadia Perl writes about defence technology, research and the start-ups "
        "that grew out of the war. She studied physics at Dravik Polytechnic.",
        "Dravik",
    ),
    _author(
        "Helena Strand",
        "World news editor",
        "News desk",
        "world",
        "Helena Strand covers Arvenia's relations with the Meridian Union and "
        "its allies. She is based in Brevonne, where she reports on summits, "
        "sanctions and accession talks.",
        "Brevonne",
    ),
    _author(
        "Roman Velk",
        "Head of investigations",
        "Investigations",
        "investigations",
        "Roman Velk leads the investigations unit, which has exposed procurement "
        "fraud, smuggling networks and hidden assets. He teaches data "
        "journalism at Dravik University.",
        "Dravik",
    ),
    _author(
        "Ivanna Koss",
        "Investigative reporter",
        "Investigations",
        "investigations",
        "Ivanna Koss investigates public spending and reconstruction contracts. "
        "She reads company registries so that readers do not have to.",
        "Telmira",
        x=False,
    ),
    _author(
        "Teo Marchand",
        "Video producer",
        "Video",
        "video",
        "Teo Marchand films and edits the newsroom's documentaries and short "
        "dispatches. He has produced reports from every province that is still "
        "under Arvenian control.",
        "Dravik",
    ),
    _author(
        "Dana Rook",
        "Opinion editor",
        "Opinion",
        "opinion",
        "Dana Rook edits the opinion section and writes a weekly column on "
        "politics and public life. She welcomes pitches that disagree with her.",
        "Dravik",
    ),
    _author(
        "Emil Sarnik",
        "Culture reporter",
        "Culture",
        "culture",
        "Emil Sarnik covers books, theatre, film and music. He is a former "
        "radio presenter and still plays bass in a band that rarely rehearses.",
        "Korvetz",
        bluesky=False,
    ),
    _author(
        "Viktor Hale",
        "Chief executive officer",
        "Management",
        "",
        "Viktor Hale is responsible for the newsroom's finances, operations and "
        "partnerships. He joined from a media development foundation in 2020.",
        "Dravik",
        bluesky=False,
    ),
    _author(
        "Lesya Morin",
        "Chief of staff",
        "Management",
        "",
        "Lesya Morin coordinates the newsroom's planning, hiring and safety "
        "programme, including hostile-environment training for reporters. She "
        "previously managed logistics for a humanitarian organisation in Korvetz.",
        "Dravik",
        x=False,
        bluesky=False,
    ),
    _author(
        "Adrian Kopp",
        "Head of membership",
        "Management",
        "",
        "Adrian Kopp looks after the readers who fund the newsroom, from "
        "newsletters to member events. He believes every reader email deserves "
        "an answer.",
        "Telmira",
    ),
]

FORMATS: tuple[str, ...] = (
    "article",
    "brief",
    "opinion",
    "analysis",
    "video",
    "explainer",
    "interview",
    "investigation",
)

# ---------------------------------------------------------------------------
# The fictional world
# ---------------------------------------------------------------------------

Person = dict[str, str]
Value = str | Person


def _p(name: str, title: str, role: str, post: str = "") -> Person:
    """Describe a person once so templates can refer to them in several ways.

    ``full`` is the headline/wire form ("Defence Minister Petar Lunevski"),
    ``role`` the appositive ("the defence minister"), ``post`` the pull-quote
    attribution ("Arvenia's defence minister") and ``last`` the second reference.
    """
    if not post:
        post = re.sub(r"^(the|a|an) ", "", role)
    return {
        "name": name,
        "last": name.rsplit(maxsplit=1)[-1],
        "title": title,
        "full": f"{title} {name}".strip(),
        "role": role,
        "post": post,
    }


_FIRST_NAMES = (
    "Alina", "Borys", "Daria", "Emil", "Hanna", "Ilya", "Iryna", "Jaro", "Kira",
    "Lev", "Lida", "Marta", "Mykola", "Nela", "Olek", "Pavla", "Roman", "Ruta",
    "Sabina", "Stefan", "Taras", "Tekla", "Vadim", "Vesna", "Yulian", "Zora",
    "Adam", "Elise", "Filip", "Greta", "Kasimir", "Lena", "Matvei", "Oleksa",
)  # fmt: skip
_LAST_NAMES = (
    "Andrusko", "Belak", "Chornay", "Dovbis", "Ferko", "Halas", "Ivanek", "Jaros",
    "Kalyn", "Lesko", "Marusyn", "Novak-Terr", "Orlik", "Pashko", "Rivny",
    "Sadovy", "Tarnay", "Ulvik", "Voronek", "Yaskiv", "Zabelin", "Hrynek",
    "Morrow", "Koval-Breit", "Sten", "Dubrava", "Lomak", "Pirnat", "Selnik",
    "Vashko", "Kerrin", "Odran",
)  # fmt: skip

_REAR_CITIES = (
    "Dravik", "Korvetz", "Telmira", "Selvin", "Brask", "Miroven", "Ostrel",
    "Kamenar", "Dunavets", "Hollin",
)  # fmt: skip
_FRONT_CITIES = (
    "Varnel", "Oskany", "Havrel", "Kallos", "Tarvo", "Ruthen", "Zelna", "Stepove",
    "Marzan",
)  # fmt: skip
_VILLAGES = (
    "Lesno", "Bilyar", "Torvica", "Malin Brod", "Sedlo", "Ushka", "Perevilka",
    "Krynets", "Dovha Balka", "Stavne", "Horodok-Selva", "Pryvilne", "Vilshany",
    "Osokor", "Brid", "Hlyboke Pole", "Zaton", "Ternivka", "Kamyshna", "Lozova Hat",
)  # fmt: skip
_DISTRICTS = (
    "Lissany", "Podmost", "Old Town", "Orlen Heights", "Vesnik", "Sadova",
    "Tarnivka", "Kamianets Quay",
)  # fmt: skip
_PROVINCES = (
    "Varnel province", "Oskany province", "Havrel province", "Telmira province",
    "Korvetz province", "Selvin province", "Brask province",
)  # fmt: skip
_FRONT_PROVINCES = ("Varnel province", "Oskany province", "Havrel province")
_ALLIES = ("Estrania", "Norvaal", "Caldria", "Belmore", "Lusavia", "Tervania")
_ALLY_ADJ = ("Estranian", "Norvaali", "Caldrian", "Belmorean", "Lusavian", "Tervanian")
_ALLY_CITIES = ("Veldhaven", "Skarholm", "Castellan", "Halloway", "Porta Lusa")
_COMPANIES = (
    "Korvetz Shipyards", "Halden Steel", "Telmira Agro Holding", "Nordvell Telecom",
    "Brightlane Robotics", "Kestrel Dynamics", "Arvena Rail", "Ostrel Pharma",
    "Vanta Bank", "Miroven Cement", "Lumen Payments", "Selva Logistics",
)  # fmt: skip
_SHELL_FIRMS = (
    "Arkon Trade", "Velmar Logistics", "Bright Harbour Holdings", "Sever Supply",
    "Greyfield Consulting", "Tarn & Partners", "Novo Granite", "Pelican Freight",
    "Eastwind Service", "Maris Capital",
)  # fmt: skip
_NGOS = (
    "Open Ledger", "the Lantern Human Rights Centre", "the Civic Monitor Foundation",
    "the Arvenian Veterans' Fund", "the Hearth Foundation", "Clear Water Arvenia",
)  # fmt: skip
_MINISTRIES = (
    "energy", "health", "education", "justice", "agriculture", "infrastructure",
    "social policy", "veterans' affairs", "digital transformation", "economy",
    "culture", "defence",
)  # fmt: skip
_OCCUPATIONS = (
    "a nurse", "a schoolteacher", "a bus driver", "a pensioner", "a shop owner",
    "a volunteer", "an engineer", "a farmer", "a student", "a baker",
    "a railway worker", "a paramedic", "an IT specialist", "a librarian",
    "a café owner", "a retired miner", "a kindergarten teacher", "a taxi driver",
)  # fmt: skip
_GROUPS = (
    "frontline towns", "small businesses", "displaced families", "conscripts",
    "pensioners", "farmers", "teachers", "exporters", "veterans", "students",
    "local councils", "volunteers", "young families", "Arvenians abroad",
)  # fmt: skip
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
             "Sunday")  # fmt: skip
_MONTHS_AP = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.",
              "Sept.", "Oct.", "Nov.", "Dec.")  # fmt: skip
_MONTHS = ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December")  # fmt: skip
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven",
                 "eight", "nine", "ten", "eleven", "twelve")  # fmt: skip
_PHOTOGRAPHERS = (
    "Lina Sorvik", "Marek Dovhal", "Ilse Brandt-Koval", "Pavlo Reznik",
    "Anya Terrel", "Jonas Mehl", "Oksana Vire", "Timo Halas", "Vera Lask",
    "Dominik Sarr",
)  # fmt: skip
_AGENCIES = (
    "Selva Photo", "Meridian Press Agency", "Northlight Images", "Arvenpress",
    "Dravik Photo Collective",
)  # fmt: skip


# Section-specific pools. Each maps a slot name to the values it can take.
# Templates may nest slots ("{issue}" may contain "{city}"), so the pools can
# stay short while the combinations stay large enough for unique headlines.
_Topic = Mapping[str, Sequence[Value]]

_WAR: _Topic = {
    "official": (
        _p(
            "Petar Lunevski",
            "Defence Minister",
            "the defence minister",
            "Arvenia's defence minister",
        ),
        _p("Anton Restel", "Gen.", "the commander-in-chief of the armed forces"),
        _p(
            "Marek Sidov",
            "Col.",
            "a spokesperson for the air force",
            "air force spokesperson",
        ),
        _p("Ruslan Terek", "Varnel Governor", "the governor of Varnel province"),
        _p("Hanna Kostrova", "Oskany Governor", "the governor of Oskany province"),
        _p("Teodor Vasko", "Dravik Mayor", "the mayor of Dravik"),
        _p(
            "Ilse Morava",
            "",
            "a spokesperson for the State Emergency Service",
            "State Emergency Service spokesperson",
        ),
    ),
    "expert": (
        _p(
            "Oren Baltz",
            "",
            "a military analyst at the Dravik Centre for Security Studies",
        ),
        _p(
            "Viktor Sarnai",
            "",
            "a retired artillery officer who now advises parliament's defence committee",
        ),
        _p("Elin Havard", "", "a researcher at the Meridian Defence Institute"),
    ),
    "issue": (
        "air defence for {city}",
        "shelters in {city}",
        "drone production in {rear_city}",
        "the front near {front_city}",
        "rebuilding the power grid in {city}",
        "demining around {village}",
        "air defence for frontline cities",
        "the new mobilisation law",
        "drone production",
        "the defence of {front_region}",
        "prisoner exchanges with Valdoria",
        "demining farmland",
        "evacuations from {front_city}",
        "attacks on the power grid",
        "the artillery shell shortage",
        "troop rotation",
        "battlefield medicine",
        "soldiers' pay",
        "long-range strikes inside Valdoria",
        "fortifications along the Selva",
        "the protection of Korvetz port",
        "families of missing soldiers",
    ),
    "event": (
        "the overnight attack on {city}",
        "the loss of {village}",
        "{weekday}'s missile strike on {city}",
        "the latest prisoner exchange",
        "the counteroffensive near {front_city}",
        "the strike on {city}'s power plant",
        "the drone attack on Korvetz port",
        "the battle for {village}",
        "the evacuation of {front_city}",
    ),
    "quip": (
        "We count every interceptor",
        "The river is our last good line",
        "Winter will be decided in the workshops",
        "Nobody rotates out any more",
        "We need shells, not sympathy",
        "The drones never sleep",
        "Every hectare we clear is a harvest",
        "My brigade is tired, not broken",
    ),
    "news": (
        "Glide bombs hit {front_city} for {ord_2_9} day running, {word_2_9} killed",
        "Drone strike on {city} substation leaves {num_12_80},000 homes without power",
        "Arvenian long-range drones hit fuel depot {num_60_400} km inside Valdoria",
        "{official.full} visits troops near {front_city} as pressure mounts",
        "Rail bridge near {front_city} damaged, trains rerouted via {rear_city}",
        "{num_300_1400} recruits sign army contracts in {month}, ministry says",
        "Arvenia to build {num_40_200} km of new fortifications in {front_region}",
        "Missile debris falls on Dravik's {district} district, {word_2_9} injured",
        "Valdorian missile strike on {city} kills {num_3_19}, injures dozens",
        "Arvenian forces repel assault near {front_city} as fighting intensifies along the Selva",
        "Power cuts return to {city} after overnight strike on energy infrastructure",
        "Evacuations ordered from {num_4_14} villages in {front_region} as shelling intensifies",
        "Army says it has retaken positions near {village} after {word_2_9}-day battle",
        "Defence ministry signs deal for {num_20_90},000 drones from domestic producers",
        "Drone attack on {city} damages apartment blocks and a school, officials say",
        "Frontline medics in {front_region} warn of shortages as casualties rise",
        "Arvenia and Valdoria swap {num_40_250} prisoners in largest exchange since {month}",
        "{official.last} says Arvenia needs {word_3_9} more air-defence systems before winter",
        "Valdoria masses troops near {front_city}, Arvenian intelligence warns",
        "Sappers clear {num_120_900} hectares of farmland around {village} ahead of sowing",
        "Korvetz port resumes grain shipments after {word_2_9} days of attacks",
        "{front_city} residents spend {ord_2_9} night in shelters as drones return",
        "Military says {ord_20_130} Brigade halted advance at {village}",
    ),
    "brief": (
        "Explosions heard in {city} as air force warns of missile threat",
        "Valdorian shelling damages {num_3_30} homes in {front_region}",
        "{num_12_190} children evacuated from {front_city} this week",
        "Power outages in {city} cut to {word_2_4} hours a day",
        "Drone debris damages {num_2_9} cars in Dravik's {district} district",
        "Air defence downs {num_6_70} drones over {region} overnight, air force says",
        "{word_2_9} injured in drone strike on {city}, emergency service says",
        "Power restored to {num_62_98}% of homes in {city} after overnight attack",
        "Shelling kills {word_2_6} in {front_city}, regional governor says",
        "Valdoria launched {num_40_160} drones and {num_3_24} missiles overnight, air force says",
        "Train services to {front_city} suspended after track damaged",
        "General Staff reports {num_60_190} clashes along the front in past day",
        "Curfew in {front_city} extended by {word_2_4} hours",
        "Air-raid alert in {city} lasts {word_2_9} hours",
        "Fire at {city} fuel depot extinguished after drone strike, officials say",
        "{num_2_40} civilians evacuated from {village} under fire, police say",
    ),
    "lede": (
        "Valdorian forces struck {city} with {num_3_20} missiles and {num_20_90} "
        "drones overnight, killing at least {word_2_9} people and damaging "
        "{num_5_40} residential buildings, {official.name}, {official.role}, "
        "said on {weekday}.",
        "Arvenian troops repelled {num_3_12} assaults near {front_city} in the "
        "past day, the General Staff said on {weekday}, as Valdorian forces "
        "pressed an offensive that analysts say is aimed at reaching the Selva "
        "before winter.",
        "Rescue workers in {city} spent the night pulling residents from the "
        "rubble of a {num_5_16}-storey apartment block after a drone strike that "
        "officials described as the heaviest on the city in {word_2_9} months.",
        "The defence ministry has signed contracts with {num_8_40} domestic "
        "manufacturers to supply drones and electronic-warfare equipment, "
        "{official.full} said on {weekday}, in what officials called the "
        "largest such order of the war.",
        "Authorities in {front_region} ordered families with children to leave "
        "{num_4_14} towns and villages near {front_city} on {weekday}, citing "
        "constant shelling and the threat of glide bombs.",
    ),
    "body": (
        "Most of the {num_40_180} drones launched overnight were shot down or "
        "jammed, the air force said, but debris fell on at least {word_3_9} "
        "districts of {city}.",
        "Emergency crews worked through the night in near-freezing temperatures, "
        "and the State Emergency Service said {num_40_220} people had been moved "
        "to temporary shelters.",
        "{official.last} said the attack was timed to hit people on their way to "
        "work. “There is no military target here, only a bakery, a school and a "
        "bus depot,” {official.last} told reporters at the scene.",
        "Valdoria's defence ministry claimed its forces had struck military "
        "targets, a statement that could not be independently verified.",
        "{expert.name}, {expert.role}, said the pattern of strikes suggested "
        "Valdoria was trying to exhaust Arvenia's stock of interceptor missiles "
        "before the coldest months.",
        "The front line near {front_city} has moved only a few kilometres since "
        "the spring, but both sides have paid heavily for small gains.",
        "Local authorities urged residents of {num_6_30} villages along the "
        "river to leave, offering free transport and temporary housing in "
        "{rear_city}.",
        "Soldiers interviewed by {pub} near {front_city} described constant "
        "drone surveillance that makes daytime movement almost impossible.",
        "The General Staff does not publish casualty figures, and numbers given "
        "by both sides cannot be independently confirmed.",
        "Air-raid sirens sounded in {num_6_17} of Arvenia's 18 provinces for "
        "more than {word_2_6} hours, and the metro in Dravik again served as a "
        "shelter for thousands of residents.",
        "Engineers from Selvatrans, the national grid operator, said repairs to "
        "the damaged substation would take at least {word_3_9} days.",
        "Commanders have repeatedly asked for more troops to allow units that "
        "have been at the front for months to rest, and the issue has become "
        "politically sensitive in Dravik.",
    ),
    "quote": (
        "o|We are fighting for every street, and the enemy knows it.",
        "o|Every interceptor we receive this month saves a neighbourhood.",
        "o|There is no military target here. There is a school, a bakery and people going to work.",
        "e|Valdoria is betting that we will run out of missiles before it runs out of drones.",
        "e|The front is not collapsing, but it is bending, and bending is expensive.",
        "r|We heard the whistle, then the windows came in. My daughter slept "
        "through it. I did not.",
        "r|We left with two bags and the cat. The house is still standing, they tell me.",
        "r|You stop counting the sirens after the first winter.",
    ),
    "subhead": (
        "A long night in {district}",
        "Pressure on the southern front",
        "What the air force says",
        "Fortifications and fatigue",
        "Waiting for air defence",
        "The view from {front_city}",
        "Counting the cost",
        "A race against winter",
        "Life under the drones",
        "The evacuation trains",
    ),
    "caption": (
        "Rescuers clear debris from a residential building in Dravik's "
        "{district} district on {date}.",
        "Firefighters work at the site of a drone strike in {city} on {date}.",
        "Arvenian soldiers of the {ord_20_130} Brigade prepare a mortar position "
        "near {front_city} on {date}.",
        "A resident walks past a damaged shop in {front_city}, {front_region}, on {date}.",
        "Sappers inspect a field for unexploded ordnance outside {village} on {date}.",
        "Evacuees board a train bound for {rear_city} at the station in {front_city} on {date}.",
        "People shelter in a metro station in Dravik during an air-raid alert on {date}.",
    ),
    "scene": (
        "A day with {occupation} in {front_city}",
        "Meet {fullname}, who repairs power lines in {city} under fire",
        "Inside a drone workshop in {rear_city}",
        "On patrol with a mobile air-defence team near {city}",
        "The last evacuation train from {front_city}",
        "A night with the rescuers of {city}",
        "How sappers clear the fields around {village}",
        "Meet {fullname}, a combat medic on the front in {front_region}",
        "What is left of {village} after {word_3_9} months of shelling",
    ),
}

_POLITICS: _Topic = {
    "official": (
        _p("Ilena Varossy", "President", "the president", "president of Arvenia"),
        _p(
            "Dorin Kastel",
            "Prime Minister",
            "the prime minister",
            "prime minister of Arvenia",
        ),
        _p("Lev Ardan", "Speaker", "the speaker of the Assembly"),
        _p(
            "Nadia Rusk",
            "Opposition leader",
            "the leader of the opposition Solidarity Alliance",
        ),
        _p(
            "Iryna Holm",
            "Justice Minister",
            "the justice minister",
            "Arvenia's justice minister",
        ),
        _p("Daria Kelm", "", "the head of the Office for Public Integrity"),
        _p("Bogdan Nemet", "", "the chair of the Central Election Commission"),
    ),
    "expert": (
        _p("Sana Ivert", "", "a political scientist at Dravik University"),
        _p("Tomas Orbel", "", "the director of the Civic Monitor Foundation"),
        _p("Larysa Penn", "", "a constitutional lawyer"),
    ),
    "issue": (
        "local elections in {city}",
        "the {ministry} ministry's reform plan",
        "the powers of the mayor of {city}",
        "transparency in the {ministry} ministry",
        "the anti-corruption reform",
        "judicial reform",
        "the next presidential election",
        "martial law",
        "Meridian Union accession talks",
        "the cabinet reshuffle",
        "local government funding",
        "the lobbying register",
        "asset declarations for officials",
        "the {next_year} budget",
        "the language law",
        "veterans' rights legislation",
        "the independence of the public broadcaster",
        "the new tax code",
        "elections after the war",
        "the {ministry} ministry's budget",
    ),
    "event": (
        "the no-confidence vote",
        "{weekday}'s cabinet reshuffle",
        "the Assembly's vote on the {next_year} budget",
        "the resignation of the {ministry} minister",
        "the Constitutional Court's ruling on asset declarations",
        "the opposition walkout",
        "the president's address to the Assembly",
        "the arrest of a deputy {ministry} minister",
    ),
    "quip": (
        "Reform is not a favour to Brevonne",
        "The Assembly is not a rubber stamp",
        "Voters will remember who stalled",
        "Martial law is not a blank cheque",
        "We cannot hold elections in basements",
        "Corruption is a security threat",
    ),
    "news": (
        "Assembly committee backs {law} bill after {num_3_11}-hour debate",
        "Mayor of {city} resigns amid corruption inquiry",
        "{fullname} named to lead anti-corruption office in {rear_city}",
        "Government proposes {num_5_20}% pay rise for teachers and doctors",
        "Kastel promises law on {law} by {month} after talks with Union envoys",
        "Assembly votes to strip lawmaker {fullname} of immunity",
        "Opposition gathers {num_40_120} signatures for inquiry into {issue}",
        "Varossy vetoes bill on {law}, sends it back to Assembly",
        "Assembly approves judicial reform bill in {num_151_229}-{num_20_70} vote",
        "Kastel survives no-confidence vote as coalition holds",
        "Varossy names {fullname} as new {ministry} minister",
        "Opposition walks out of Assembly over {issue}",
        "Office for Public Integrity charges deputy {ministry} minister with bribery",
        "Assembly extends martial law for another 90 days",
        "Government plans to scrap {num_10_40}% of business regulations by {month}",
        "Poll shows {num_38_64}% of Arvenians back {issue}",
        "Cabinet approves {next_year} budget with record {num_52_64}% for defence",
        "{num_12_48} lawmakers quit ruling party's faction over {issue}",
        "Constitutional Court to rule on {issue} by {month}",
        "{official.full} faces questions over {issue}",
        "Anti-corruption office searches {ministry} ministry in {rear_city}",
        "Ruling New Arvenia party slips to {num_18_31}% in latest poll",
    ),
    "brief": (
        "Assembly approves {law} bill in first reading",
        "{word_2_9} lawmakers join opposition Solidarity Alliance",
        "Varossy to address the nation on {weekday} evening",
        "Kastel meets {ally_adj} prime minister in Dravik",
        "Lawmaker {fullname} leaves ruling party",
        "{ministry} ministry to publish spending online from {month}",
        "Assembly to hold extraordinary session on {weekday}, speaker says",
        "President signs law on {law}",
        "Deputy {ministry} minister dismissed, government says",
        "Election commission registers {num_4_19} parties for local elections",
        "Kastel to meet Meridian Union leaders in Brevonne on {weekday}",
        "Poll: {num_51_78}% trust army, {num_11_29}% trust Assembly",
        "Opposition files {num_120_900} amendments to {law} bill",
        "Cabinet approves draft law on {law}",
        "{ministry} minister to appear before Assembly on {weekday}",
        "Court orders {fullname} held in custody for {word_2_9} months",
    ),
    "lede": (
        "The Assembly voted {num_151_229} to {num_20_70} on {weekday} to approve "
        "a bill on {law}, a measure the government had promised its Meridian Union "
        "partners for more than a year.",
        "{official.full} called on lawmakers to stop delaying {issue}, warning "
        "in a televised address on {weekday} that the country's credibility "
        "with its allies was at stake.",
        "Investigators from the Office for Public Integrity searched the "
        "offices of the {ministry} ministry on {weekday} as part of a bribery "
        "inquiry, officials said.",
        "A new poll published on {weekday} found that {num_38_64}% of "
        "Arvenians support {issue}, up from {num_20_37}% a year ago, in a sign "
        "that the public mood is shifting.",
    ),
    "body": (
        "The bill now goes to the president, who has {word_2_9} weeks to sign "
        "it or return it to the Assembly with objections.",
        "Opposition lawmakers said the measure had been rushed through without "
        "proper debate, and {num_12_48} of them walked out before the vote.",
        "{official.name}, {official.role}, said the government would publish "
        "the full text of its proposals on {weekday}.",
        "{expert.name}, {expert.role}, said the vote showed that the coalition "
        "could still deliver when it was under pressure from Brevonne.",
        "Under martial law, national elections cannot be held, a rule that all "
        "main parties have so far accepted.",
        "The Meridian Union has made progress on {issue} a condition for "
        "opening the next stage of accession talks.",
        "The ministry said in a statement that it was cooperating fully with "
        "investigators and that no official had been suspended.",
        "{ngo}, a watchdog, said it had identified {num_6_40} cases in which "
        "officials failed to declare property or cars registered to relatives.",
        "The poll, conducted by the Dravik Institute of Sociology, surveyed "
        "{num_1000_2400} adults in government-controlled areas and has a margin "
        "of error of about {dec_2_3} percentage points.",
        "The ruling New Arvenia party holds {num_160_190} of the Assembly's 300 "
        "seats but relies on smaller groups for votes on key reforms.",
    ),
    "quote": (
        "o|Reform is not something we do for Brevonne. We do it because our "
        "soldiers deserve an honest state.",
        "o|The Assembly will not be a rubber stamp for anyone, including this government.",
        "o|We have nothing to hide, and we will show it in court.",
        "e|Every month this bill is delayed is a month that somebody keeps "
        "earning from the old system.",
        "e|Wartime unity is real, but it is not the same as unanimity.",
        "r|I want to vote again one day. Until then, I want to know who is spending my taxes.",
    ),
    "subhead": (
        "A divided Assembly",
        "What the bill changes",
        "The view from Brevonne",
        "Opposition cries foul",
        "How the vote broke down",
        "What comes next",
        "Pressure from the watchdogs",
        "A test for the coalition",
    ),
    "caption": (
        "Lawmakers vote during a session of the Assembly in Dravik on {date}.",
        "Prime Minister Dorin Kastel speaks to reporters in Dravik on {date}.",
        "Protesters hold placards outside the Assembly building in Dravik on {date}.",
        "President Ilena Varossy arrives for a news conference in Dravik on {date}.",
        "Members of the Central Election Commission meet in Dravik on {date}.",
    ),
    "scene": (
        "Meet {fullname}, the youngest lawmaker in the Assembly",
        "What voters in {city} want from {issue}",
        "Inside the Assembly on the night of the budget vote",
        "Who is {fullname}, the new {ministry} minister?",
        "How a bill becomes law in wartime Arvenia",
        "Voters in {city} on reform, war and trust",
    ),
}

_BUSINESS: _Topic = {
    "official": (
        _p(
            "Hana Brellic",
            "Finance Minister",
            "the finance minister",
            "Arvenia's finance minister",
        ),
        _p(
            "Aurel Dask",
            "National Bank Governor",
            "the governor of the National Bank of Arvenia",
        ),
        _p(
            "Emil Tarnow",
            "Economy Minister",
            "the economy minister",
            "Arvenia's economy minister",
        ),
        _p(
            "Viktor Solent",
            "Energy Minister",
            "the energy minister",
            "Arvenia's energy minister",
        ),
        _p("Irena Mosk", "", "the chief executive of Korvetz Shipyards"),
    ),
    "expert": (
        _p("Katya Liminska", "", "the chief economist at Vanta Bank"),
        _p("Jonas Elberg", "", "an analyst at the Kestrel Institute"),
        _p("Roksana Dal", "", "the head of the Arvenian Exporters' Association"),
    ),
    "issue": (
        "the labour shortage in {city}",
        "energy prices for {group}",
        "investment in {rear_city}",
        "the future of {company}",
        "inflation",
        "the arven's exchange rate",
        "grain exports through Korvetz",
        "war-risk insurance",
        "the sale of Halden Steel",
        "privatisation of state companies",
        "electricity prices",
        "the budget gap",
        "foreign investment",
        "the labour shortage",
        "mortgage lending",
        "taxes on small businesses",
        "reconstruction contracts",
        "the drone industry",
        "interest rates",
        "the IT export boom",
    ),
    "event": (
        "the National Bank's rate decision",
        "the sale of {company}",
        "the new Meridian Union loan",
        "the attack on Korvetz port",
        "{month}'s inflation figures",
        "the reconstruction conference in {ally_city}",
    ),
    "quip": (
        "Investors want insurance, not speeches",
        "Our workers are at the front",
        "Inflation is a war tax on the poor",
        "Every ship that sails is a win",
        "The drone industry is our new steel",
    ),
    "news": (
        "{company} cuts {num_200_1800} jobs as costs rise",
        "{ally_adj} lender backs ${num_30_400} million loan for {company}",
        "Farmers expect {dec_52_71} million tonne harvest despite mined fields",
        "Budget revenue beats forecast by {num_3_14}% in {month}",
        "{company} plans to list shares in {ally_city} next year",
        "Mortgage lending in {city} jumps {num_20_80}% under state scheme",
        "{company} reopens plant in {front_city} after {word_2_9} months",
        "National Bank holds key rate at {dec_11_16}% as inflation eases",
        "Grain exports through Korvetz reach {dec_3_6} million tonnes in {month}",
        "{company} posts {num_8_45}% rise in revenue despite attacks",
        "Arvenia secures ${dec_1_4} billion in Meridian Union financing",
        "Government to sell stakes in {num_4_12} state companies this year",
        "Labour shortage forces {city} factories to raise wages by {num_10_30}%",
        "War-risk insurance scheme covers ${num_120_800} million in new investment",
        "{company} to build ${num_40_350} million plant in {rear_city}",
        "Electricity prices for households to rise {num_10_35}% from {month}",
        "Small businesses in {front_city} reopen as shelling eases",
        "Arvenian drone makers seek export licences as output surges",
        "Inflation slows to {dec_6_12}% in {month}, statistics office says",
        "{company} chief executive resigns after {ord_2_4} loss-making quarter",
        "{ally_adj} investors commit ${num_50_400} million to Arvenian start-ups",
    ),
    "brief": (
        "{company} to pay ARV {num_120_900} million dividend to the state",
        "National Bank sells ${num_300_900} million to steady the arven",
        "Retail sales up {dec_2_9}% in {month}, statistics office says",
        "{company} restarts production in {rear_city}",
        "Electricity exports to {ally} resume after {word_2_9}-month pause",
        "Arven trades at {dec_38_44} per dollar, National Bank says",
        "{company} shares rise {dec_2_9}% in Dravik trading",
        "GDP grew {dec_1_4}% year on year in third quarter, statistics office says",
        "Korvetz port handled {num_18_42} ships last week, port authority says",
        "Government raises minimum wage to {num_8000_9500} arven",
        "Selvatrans imports record {num_900_1800} MWh of power from {ally}",
        "{company} wins ${num_10_90} million contract to repair rail bridges",
        "Fuel prices fall {dec_1_4}% for {ord_2_4} week in a row",
    ),
    "lede": (
        "The National Bank of Arvenia kept its key interest rate at "
        "{dec_11_16}% on {weekday}, saying that inflation was slowing faster "
        "than expected but that the war still posed large risks.",
        "{company} said on {weekday} that its revenue rose {num_8_45}% last "
        "year, despite {word_3_9} attacks on its facilities and a shortage of "
        "workers that has hit industry across the country.",
        "Arvenia exported {dec_3_6} million tonnes of grain through the port of "
        "Korvetz in {month}, the infrastructure ministry said, the highest "
        "monthly total since the start of the full-scale invasion.",
        "The government plans to sell stakes in {num_4_12} state-owned "
        "companies this year, {official.full} told reporters on {weekday}, in "
        "a push to raise money and attract foreign investors.",
    ),
    "body": (
        "Annual inflation slowed to {dec_6_12}% in {month}, according to the "
        "state statistics office, helped by a strong harvest and a stable "
        "currency.",
        "{expert.name}, {expert.role}, said the figures were encouraging but "
        "warned that attacks on the power grid could quickly push prices up "
        "again.",
        "The company employs about {num_1200_9000} people, around "
        "{num_8_20}% of whom have been mobilised into the armed forces.",
        "Insurers have been reluctant to cover assets in Arvenia, and a "
        "state-backed war-risk scheme has become a condition for many foreign "
        "investors.",
        "The finance ministry said in a statement that the budget gap for "
        "{next_year} would be covered by loans and grants from the Meridian "
        "Union and {ally}.",
        "Shipping through Korvetz has continued despite repeated strikes, "
        "although insurance premiums for vessels remain several times higher "
        "than before the war.",
        "{official.last} said the government would keep {num_3_9} strategic "
        "companies, including the grid operator, in state hands.",
        "Business owners in {city} told {pub} that finding staff was now a "
        "bigger problem than power cuts.",
        "The arven has traded in a narrow range against the dollar this year, "
        "supported by the central bank's reserves of about ${num_38_49} billion.",
    ),
    "quote": (
        "o|Investors do not need speeches. They need insurance and courts that work.",
        "o|We will not sell the grid, but we will sell what the state should never have owned.",
        "e|Inflation is a tax on the poorest households, and in wartime it is "
        "the cruellest tax of all.",
        "e|Every ship that leaves Korvetz is a small victory for the budget.",
        "r=a factory owner|Half my staff are at the front. I keep their jobs "
        "open, and I hire students for the rest.",
    ),
    "subhead": (
        "Prices and wages",
        "What investors want",
        "A harvest under fire",
        "The view from the port",
        "Where the money comes from",
        "Risks for next year",
        "A shortage of hands",
    ),
    "caption": (
        "A cargo ship is loaded with grain at the port of Korvetz on {date}.",
        "Workers assemble drones at a factory in {rear_city} on {date}.",
        "A customer pays at a market stall in Dravik's {district} district on {date}.",
        "Steelworkers take a break at the Halden Steel plant in {rear_city} on {date}.",
        "Combine harvesters work a wheat field outside {village} on {date}.",
    ),
    "scene": (
        "Meet {fullname}, who runs a bakery in {front_city}",
        "How {company} works through the blackouts",
        "How Korvetz keeps the grain ships moving",
        "A day at a drone factory in {rear_city}",
        "The coffee shop that never closed in {front_city}",
        "Meet {fullname}, the farmer replanting mined fields",
    ),
}

_WORLD: _Topic = {
    "official": (
        _p(
            "Alis Moravek",
            "Foreign Minister",
            "the foreign minister",
            "Arvenia's foreign minister",
        ),
        _p("Annelie Voss", "", "the Meridian Union's foreign policy chief"),
        _p("Henrik Dalby", "Estranian Prime Minister", "the prime minister of Estrania"),
        _p("Sofie Lindqvar", "Norvaali President", "the president of Norvaal"),
        _p("Matthias Kerber", "Caldrian Chancellor", "the chancellor of Caldria"),
        _p("Pieter Vandam", "", "the secretary general of the Northern Accord"),
    ),
    "expert": (
        _p("Clara Hessing", "", "a senior fellow at the Brevonne Policy Forum"),
        _p("Idris Mahler", "", "a former Estranian ambassador to Dravik"),
        _p("Nora Castell", "", "a sanctions expert at Halloway University"),
    ),
    "issue": (
        "arms deliveries from {ally}",
        "Arvenians in {ally}",
        "relations with {ally}",
        "the summit in {ally_city}",
        "Meridian Union membership",
        "sanctions on Valdoria",
        "frozen Valdorian assets",
        "air-defence deliveries",
        "the grain corridor",
        "ceasefire talks",
        "security guarantees",
        "the Northern Accord summit",
        "protection for Arvenian refugees",
        "a special tribunal for the invasion",
        "reconstruction funding",
        "the election in {ally}",
        "the border with Valdoria",
        "arms production in {ally}",
    ),
    "event": (
        "the Northern Accord summit in {ally_city}",
        "the Meridian Union summit in Brevonne",
        "the election in {ally}",
        "{weekday}'s talks in {ally_city}",
        "Valdoria's new ultimatum",
        "the {ord_14_22} sanctions package",
    ),
    "quip": (
        "Security guarantees must mean something",
        "Brevonne is not a charity",
        "Sanctions work, slowly",
        "Winter is the real deadline",
        "Our voters are tired, not indifferent",
    ),
    "news": (
        "{ally_adj} foreign minister visits {city} in first trip since invasion",
        "{ally} to open consulate in {rear_city}",
        "Valdoria threatens {ally} over plans to send long-range missiles",
        "Union ministers meet in {ally_city} to discuss Arvenian grain imports",
        "{ally} to fund {num_12_60} new schools in {front_region}",
        "Arvenia and {ally} agree to build drones together in {ally_city}",
        "{ally_adj} court jails {word_2_9} for smuggling parts to Valdoria",
        "Meridian Union agrees {ord_14_22} sanctions package against Valdoria",
        "{ally} pledges {word_2_8} more air-defence systems after talks in Dravik",
        "{ally_adj} parliament approves ${num_200_900} million aid package",
        "Caldria blocks Union decision on frozen Valdorian assets",
        "Moravek urges allies to speed up deliveries before winter",
        "Northern Accord leaders meet in {ally_city} to discuss guarantees",
        "Valdoria expels {word_2_9} {ally_adj} diplomats in tit-for-tat move",
        "Arvenian refugees in {ally} face new rules on temporary protection",
        "Special tribunal for Valdorian invasion wins backing of {num_24_41} countries",
        "{official.full} visits {city} in show of support",
        "{ally} and Arvenia sign ten-year security agreement",
        "Meridian Union opens {ord_3_9} chapter in Arvenia's accession talks",
    ),
    "brief": (
        "{ally} to send {num_20_120} generators to {city}",
        "{ally_adj} delegation arrives in Dravik for talks on {issue}",
        "{ally} recalls ambassador from Kresmor for consultations",
        "Moravek to visit {ally_city} on {weekday}",
        "{ally} adds {num_12_90} Valdorian firms to sanctions list",
        "{ally} to train {num_800_4000} Arvenian soldiers this year",
        "Moravek meets {ally_adj} counterpart in {ally_city}",
        "Union extends sanctions on {num_40_190} Valdorian officials",
        "{ally_adj} navy to escort grain ships in Gulf of Merran",
        "Valdoria summons {ally_adj} ambassador over arms deliveries",
        "{num_24_41} countries sign declaration on Arvenian reconstruction",
    ),
    "lede": (
        "Meridian Union ambassadors agreed on {weekday} to a {ord_14_22} package "
        "of sanctions against Valdoria, targeting {num_40_190} companies and "
        "officials accused of helping the war effort.",
        "{official.full} promised on {weekday} that {ally} would send "
        "{word_2_8} more air-defence systems to Arvenia before the end of the "
        "year, after talks with President Ilena Varossy in Dravik.",
        "Leaders of the Northern Accord gathered in {ally_city} on {weekday} "
        "for talks on long-term security guarantees for Arvenia, with "
        "divisions over the wording of a final statement still unresolved.",
    ),
    "body": (
        "Caldria, which relies heavily on Valdorian gas, has repeatedly delayed "
        "decisions that require the agreement of all Union members.",
        "{expert.name}, {expert.role}, said the package was the most "
        "significant in a year because it targeted the shipping networks that "
        "help Valdoria sell oil.",
        "Valdoria's foreign ministry called the measures illegal and promised a "
        "response, without giving details.",
        "About {dec_3_6} million Arvenians remain abroad, most of them in "
        "Meridian Union countries, according to figures from the Union's "
        "statistics agency.",
        "Diplomats in Brevonne said a deal could be reached by {month} if "
        "{ally} drops its objections.",
        "{official.last} said the assets belonged to the victims of the war. "
        "“They should pay for schools and hospitals, not sit in vaults,” "
        "{official.last} said.",
        "{ally} has provided about ${dec_1_9} billion in military aid since the "
        "start of the invasion, according to its defence ministry.",
    ),
    "quote": (
        "o|Security guarantees that cannot be enforced are only good wishes.",
        "o|Our support will last as long as it is needed, and longer than Kresmor expects.",
        "e|Sanctions are slow, but they compound. The bill arrives every year.",
        "e|Brevonne moves at the speed of its most reluctant member.",
        "r=an Arvenian refugee in {ally_city}|My children go to school in "
        "{ally_city} now. Every evening they ask when we will go home.",
    ),
    "subhead": (
        "Holdouts in the Union",
        "The view from Kresmor",
        "What is in the package",
        "Guarantees on paper",
        "Refugees in limbo",
        "The money question",
    ),
    "caption": (
        "Foreign Minister Alis Moravek speaks at a news conference in {ally_city} on {date}.",
        "Leaders pose for a group photo at the Northern Accord summit in {ally_city} on {date}.",
        "Flags of Meridian Union member states fly outside the Council "
        "building in Brevonne on {date}.",
        "Arvenian refugees queue at a registration centre in {ally_city} on {date}.",
    ),
    "scene": (
        "Meet {fullname}, an Arvenian teacher in {ally_city}",
        "The night train from {ally_city} to the war",
        "Behind the scenes at the summit in {ally_city}",
        "Arvenian refugees in {ally_city}, {word_3_5} years on",
        "How sanctions on Valdoria are enforced at sea",
    ),
}

_CULTURE: _Topic = {
    "official": (
        _p(
            "Vera Olsany",
            "Culture Minister",
            "the culture minister",
            "Arvenia's culture minister",
        ),
        _p("Marta Kerr", "", "the director of the Dravik National Theatre"),
        _p("Yan Sorel", "", "a film director"),
        _p("Ada Brenn", "", "a novelist"),
        _p("Mira Valen", "Korvetz Mayor", "the mayor of Korvetz"),
    ),
    "expert": (
        _p("Olga Tessin", "", "a curator at the National Museum of Arvenian History"),
        _p("Pavel Dunaj", "", "a music critic"),
        _p("Ines Varga", "", "a professor of literature at Korvetz University"),
    ),
    "issue": (
        "the theatre scene in {city}",
        "bookshops in {city}",
        "the arts in {front_city}",
        "the Selva Film Festival",
        "wartime theatre",
        "the restoration of {city}'s opera house",
        "Arvenian-language publishing",
        "museum evacuations",
        "music from the front",
        "street art in {city}",
        "the return of looted artefacts",
        "film funding",
        "the national library's digitisation",
        "{film}",
        "the {festival}",
    ),
    "event": (
        "the premiere of {film}",
        "the reopening of the Dravik National Theatre",
        "the {festival}",
        "the return of looted paintings to {city}",
        "the closure of {city}'s last cinema",
    ),
    "quip": (
        "Culture is how we remember who we are",
        "The audience came in coats",
        "We rehearse between the sirens",
        "Books travel where soldiers cannot",
        "Art is not a luxury in wartime",
    ),
    "news": (
        "{fullname}'s novel about {city} tops bestseller list",
        "Archaeologists find {ord_10_15}-century settlement near {village}",
        "{city} library reopens in metro station with {num_2_30},000 books",
        "Composer {fullname} premieres symphony written at the front",
        "Documentary about {village} selected for the {festival}",
        "{band} raise ${num_40_900},000 for drones at {city} concert",
        "Arvenian film ‘{film}’ wins top prize at the {festival}",
        "Dravik National Theatre reopens after {num_8_22}-month restoration",
        "Novelist {fullname} wins national book prize for wartime memoir",
        "Museum in {city} returns {num_40_600} evacuated artworks to display",
        "{band} announce tour of frontline towns",
        "{city} opera house stages first premiere since the invasion",
        "Looted paintings returned to {city} museum after {word_3_9}-year search",
        "Arvenian-language book sales rise {num_12_48}% as readers switch",
        "Street artists turn {city}'s bomb shelters into galleries",
        "Culture ministry doubles film funding to ${num_12_40} million",
        "{festival} opens with documentary about {village}",
    ),
    "brief": (
        "{festival} moves screenings to {city} shelters",
        "{band} release new album recorded in {city}",
        "Novelist {fullname} shortlisted for Meridian Literary Prize",
        "Museum in {city} reopens {word_2_9} halls",
        "{city} theatre premieres play by {fullname}",
        "{festival} announces {num_24_80} films in competition",
        "National Library digitises {num_40_260},000 pages of archives",
        "{band} cancel {city} concert after air-raid alert",
        "Dravik National Theatre sells out {ord_2_9} season in a row",
        "Museum in {front_city} evacuates collection to {rear_city}",
    ),
    "lede": (
        "The Dravik National Theatre reopened on {weekday} after a "
        "{num_8_22}-month restoration, with an audience that stayed in its "
        "seats through an air-raid alert in the second act.",
        "{film}, a drama about a family in {front_city} during the first weeks "
        "of the invasion, won the top prize at the {festival} on {weekday}.",
        "More than {num_40_600} paintings, icons and manuscripts evacuated from "
        "{city} at the start of the war went back on display on {weekday}, "
        "the museum's director said.",
    ),
    "body": (
        "{official.name}, {official.role}, said the building's basement had "
        "been reinforced so that performances could continue during alerts.",
        "{expert.name}, {expert.role}, said audiences had grown since the "
        "invasion, as people looked for places to be together.",
        "Tickets for the first {word_3_9} performances sold out within hours.",
        "The film was shot over {num_20_60} days in {city}, often between "
        "air-raid alerts, with a crew of about {num_20_70} people.",
        "Arvenian-language titles now account for {num_60_85}% of books sold "
        "in the country, according to the publishers' association.",
        "The museum said {num_3_40} objects were still missing and believed to be in Valdoria.",
        "The programme includes {num_12_40} new works by Arvenian composers, "
        "several of them written by musicians serving in the army.",
    ),
    "quote": (
        "o|Culture is how a country remembers who it is. That is why it is always a target.",
        "o|We rehearse between the sirens, and we do not cancel unless the building is shaking.",
        "e|The audience came in winter coats and stayed for three hours. That "
        "tells you everything.",
        "r=a concertgoer|I came for the music, but I think I came to cry with other people.",
    ),
    "subhead": (
        "Opening night",
        "An audience in coats",
        "The films in competition",
        "Back on the walls",
        "Music from the front",
        "What the critics say",
    ),
    "caption": (
        "Actors rehearse on the stage of the Dravik National Theatre on {date}.",
        "Visitors look at restored icons at the museum in {city} on {date}.",
        "Musicians of the Korvetz Philharmonic perform in a metro station on {date}.",
        "A mural by local artists covers a shelter wall in {city} on {date}.",
    ),
    "scene": (
        "Meet {fullname}, the conductor of {city}'s orchestra",
        "A night at the theatre in {city}",
        "Backstage at the Dravik National Theatre",
        "The band that plays for soldiers in {front_city}",
        "How a museum in {city} hid its treasures",
        "Meet {fullname}, the novelist writing from a shelter",
    ),
}

_INVESTIGATIONS: _Topic = {
    "official": (
        _p("Daria Kelm", "", "the head of the Office for Public Integrity"),
        _p("Stepan Virn", "Prosecutor General", "the prosecutor general"),
        _p(
            "Petar Lunevski",
            "Defence Minister",
            "the defence minister",
            "Arvenia's defence minister",
        ),
    ),
    "expert": (
        _p("Tomas Orbel", "", "the director of the Civic Monitor Foundation"),
        _p("Halyna Brusk", "", "a forensic accountant"),
        _p("Ivo Dremel", "", "a former customs investigator"),
    ),
    "issue": (
        "contracts for {supply}",
        "land deals in {region}",
        "the {ministry} ministry's tenders",
        "reconstruction contracts",
        "military procurement",
        "the smuggling of men across the border",
        "sanctions evasion",
        "hidden assets of officials",
        "humanitarian aid",
        "the sale of state land in {region}",
        "medical exemptions from service",
        "customs fraud at {rear_city}",
        "the rebuilding of {city}",
    ),
    "event": (
        "the arrest of a deputy {ministry} minister",
        "the audit of the {ministry} ministry",
        "the raid on {shell}",
        "the leak of customs records",
    ),
    "quip": (
        "Follow the invoices",
        "The paper trail ends offshore",
        "Nobody checked the warehouse",
        "The contract was written for one bidder",
    ),
    "news": (
        "The {ministry} ministry paid {shell} ${num_2_40} million for {supply} it never received",
        "{num_12_90} officials in {region} declared luxury cars bought during the war",
        "Leaked records show how {shell} moved ${num_5_80} million to {ally}",
        "How reconstruction money for {city} ended up with a judge's son",
        "Investigators trace ${num_3_30} million in aid to accounts in {ally_city}",
        "How a firm linked to {company} won ${num_12_140} million in reconstruction contracts",
        "Military supplier overcharged for {supply} by {num_20_300}%, documents show",
        "Deputy minister's family acquired {word_3_9} apartments during the war, records show",
        "Inside the network smuggling men across the {ally_adj} border",
        "Hidden owners: who really controls {shell}",
        "Customs officials waved through ${num_5_60} million in sanctioned goods",
        "The {supply} that never reached the front",
        "{shell} won {num_6_40} state contracts in {word_2_4} years. Its office "
        "is a flat in {rear_city}",
        "How doctors in {city} sold medical exemptions for ${num_2000_9000}",
    ),
    "brief": (
        "{shell} director detained in {rear_city}",
        "Court freezes {shell} assets after {pub} report",
        "Deputy {ministry} minister suspended pending audit",
        "{ministry} ministry cancels {supply} tender after {pub} report",
        "Watchdog calls for inquiry into land sales in {region}",
        "Prosecutors question {word_3_12} customs officers in {rear_city}",
        "Assembly committee to hear {ministry} ministry over {shell} contracts",
        "Prosecutors open case after {pub} investigation into {shell}",
        "{ministry} ministry suspends contract with {shell}",
        "Assembly committee summons officials over {supply} purchases",
    ),
    "lede": (
        "A company registered at a flat in {rear_city} won {num_6_40} state "
        "contracts worth ${num_12_140} million in {word_2_4} years, despite "
        "having no employees, an investigation by {pub} has found.",
        "The defence ministry paid {num_20_300}% more than the market price "
        "for {supply} bought through {shell}, according to documents reviewed "
        "by {pub}.",
        "Customs officers at the {ally_adj} border allowed at least "
        "${num_5_60} million worth of sanctioned goods to pass into Arvenia, "
        "records obtained by {pub} show.",
    ),
    "body": (
        "{shell} did not respond to {word_3_5} requests for comment sent by "
        "email and registered letter.",
        "Company records show that the firm's sole owner is a relative of an "
        "official at the {ministry} ministry.",
        "{pub} reviewed more than {num_300_2000} pages of contracts, invoices "
        "and court filings for this investigation.",
        "{expert.name}, {expert.role}, said the prices were impossible to "
        "justify. “Nobody pays that much unless somebody is being paid,” "
        "{expert.last} said.",
        "The ministry said in a statement that it had launched an internal "
        "audit and would cooperate with law enforcement.",
        "Two former employees, who spoke on condition of anonymity because "
        "they feared retaliation, described how bids were drafted to suit a "
        "single company.",
        "The Office for Public Integrity confirmed that it had opened a case "
        "but declined to give details.",
    ),
    "quote": (
        "e|Nobody pays that much unless somebody is being paid.",
        "e|The paper trail does not end in Arvenia. It ends offshore.",
        "o|If the facts are confirmed, there will be no untouchables.",
        "r=a former warehouse manager|I signed for the delivery. Nobody ever "
        "checked what was in the boxes.",
    ),
    "subhead": (
        "The paper trail",
        "Who owns the company",
        "A contract for one bidder",
        "The missing deliveries",
        "The official's response",
        "How we did this",
    ),
    "caption": (
        "The building in {rear_city} where {shell} is registered, on {date}.",
        "Documents reviewed by {pub} are laid out in the newsroom on {date}.",
        "Trucks wait at a border crossing near {ally_city} on {date}.",
    ),
    "scene": (
        "Following the money from {shell} to the {ministry} ministry",
        "The empty warehouse in {rear_city}",
        "How we traced the money behind {shell}",
        "The {supply} that never arrived",
    ),
}

_TECH: _Topic = {
    "official": (
        _p(
            "Jaro Pell",
            "Digital Transformation Minister",
            "the digital transformation minister",
            "Arvenia's digital transformation minister",
        ),
        _p("Ivanna Roos", "Dr.", "a physicist at Dravik Polytechnic"),
        _p("Nils Arkady", "", "the founder of Kestrel Dynamics"),
    ),
    "expert": (
        _p("Sebastian Kray", "", "a cybersecurity researcher"),
        _p("Maja Lindholt", "", "an engineer at Brightlane Robotics"),
        _p("Oleh Varnik", "", "the head of the Arvenian IT Association"),
    ),
    "issue": (
        "drone schools in {city}",
        "the tech sector in {rear_city}",
        "satellite images of {front_region}",
        "interceptor drones",
        "the state services app",
        "satellite internet",
        "cyberattacks on banks",
        "AI in targeting",
        "the brain drain",
        "battery storage",
        "telemedicine for the front",
        "open data",
        "the start-up visa",
        "electronic warfare",
        "grid software",
    ),
    "event": (
        "the cyberattack on {company}",
        "the launch of Arvenia's first satellite",
        "the drone competition in {rear_city}",
        "the outage of the state services app",
    ),
    "quip": (
        "The front is a laboratory",
        "We ship updates every week",
        "Cheap drones, expensive lessons",
        "Our hackers are volunteers",
    ),
    "news": (
        "Kestrel Dynamics raises ${num_10_90} million from {ally_adj} investors",
        "{city} start-up uses AI to spot mines in drone footage",
        "{num_30_80}% of IT firms now run on batteries during blackouts, survey finds",
        "Scientists in {city} track air pollution from fires along the front",
        "Engineers build {num_30_90}-km-range drone for under ${num_2_9},000",
        "State app now lets veterans book rehabilitation in {num_3_20} cities",
        "Arvenian start-up builds interceptor drone for ${num_900_4000}",
        "Cyberattack disrupts {company} services for {word_2_9} hours",
        "State services app adds {num_3_20} new wartime services",
        "Dravik Polytechnic team develops battery that works at -{num_20_35}C",
        "Arvenia's first satellite reaches orbit, ministry says",
        "{num_120_600} drone makers compete for army contracts in {rear_city}",
        "Researchers in {city} map {num_40_300} square km of mined land with AI",
        "Telemedicine links {num_20_90} frontline clinics to Dravik surgeons",
        "IT exports rise {num_4_18}% despite power cuts",
        "Hackers leak data of {num_2_9},000 Valdorian officers, group claims",
    ),
    "brief": (
        "{company} launches satellite internet for {front_region} hospitals",
        "Dravik Polytechnic opens drone course for {num_200_800} students",
        "{num_12_90} cyberattacks on {company} blocked this week",
        "Army tests {word_2_9} new electronic-warfare systems near {front_city}",
        "{company} opens research centre in {rear_city}",
        "Start-up in {city} wins ${num_100_900},000 defence tech grant",
        "{company} restores services after cyberattack",
        "State app outage lasts {word_2_9} hours, ministry says",
        "Army orders {num_2_20},000 interceptor drones from {company}",
        "{num_40_200} start-ups apply for defence tech grants",
    ),
    "lede": (
        "A start-up in {rear_city} has built an interceptor drone that costs "
        "about ${num_900_4000} to make, a fraction of the price of a missile, "
        "its founders said on {weekday}.",
        "A cyberattack knocked out services at {company} for {word_2_9} hours "
        "on {weekday}, the company said, in what officials described as one of "
        "the largest attacks on Arvenian infrastructure this year.",
        "Researchers at Dravik Polytechnic say they have developed a battery "
        "that keeps working at -{num_20_35}C, which could extend the range of "
        "drones during the winter.",
    ),
    "body": (
        "{official.name}, {official.role}, said the design had been tested "
        "with units near {front_city} for {word_2_9} months.",
        "{expert.name}, {expert.role}, said the attack bore the hallmarks of a "
        "group linked to Valdorian military intelligence.",
        "The company said no customer data had been stolen, a claim that "
        "could not be independently verified.",
        "Arvenia has more than {num_300_900} companies making drones, up from "
        "a handful before the full-scale invasion, according to the ministry.",
        "Developers at the company work in {word_2_4} shifts, with generators "
        "and satellite terminals in case of power cuts.",
        "The research was published in a peer-reviewed journal on {weekday}.",
    ),
    "quote": (
        "o|The front line is the harshest test lab in the world. Our designs "
        "change every two weeks.",
        "e|Cheap drones have changed the war, but cheap defences against them "
        "will change it again.",
        "e|Every outage teaches the attacker something too.",
        "r=an engineer|We solder in the basement when the sirens go off. The "
        "deadline does not move.",
    ),
    "subhead": (
        "How it works",
        "From lab to front line",
        "Who is behind the attack",
        "What it costs",
        "The engineers' view",
    ),
    "caption": (
        "An engineer tests an interceptor drone outside {rear_city} on {date}.",
        "Researchers work in a laboratory at Dravik Polytechnic on {date}.",
        "Programmers work by generator light in an office in Dravik on {date}.",
    ),
    "scene": (
        "Meet {fullname}, the engineer who builds drones in a garage in {city}",
        "How AI helps clear mines near {village}",
        "Test flight for a ${num_900_4000} interceptor drone",
        "Inside Dravik Polytechnic's battery lab",
        "The volunteer hackers of {city}",
    ),
}

_SOCIETY: _Topic = {
    "official": (
        _p(
            "Ruta Savel",
            "Social Policy Minister",
            "the social policy minister",
            "Arvenia's social policy minister",
        ),
        _p(
            "Lina Okarsky",
            "Health Minister",
            "the health minister",
            "Arvenia's health minister",
        ),
        _p(
            "Pavlo Gren",
            "Education Minister",
            "the education minister",
            "Arvenia's education minister",
        ),
        _p("Mira Valen", "Korvetz Mayor", "the mayor of Korvetz"),
        _p("Teodor Vasko", "Dravik Mayor", "the mayor of Dravik"),
        _p("Karin Dobrev", "", "the human rights ombudsperson"),
    ),
    "expert": (
        _p("Halina Ost", "", "a psychologist who works with veterans"),
        _p("Bruno Fessler", "", "a demographer at the Dravik Institute of Sociology"),
        _p("Eva Malko", "", "a coordinator at the Hearth Foundation"),
    ),
    "issue": (
        "schools in {city}",
        "hospitals in {front_region}",
        "housing in {rear_city}",
        "life in {front_city}",
        "housing for displaced families",
        "underground schools",
        "veterans' rehabilitation",
        "the shortage of doctors",
        "children returned from occupied areas",
        "pensions in frontline towns",
        "mental health care",
        "public transport during blackouts",
        "the rebuilding of {city}",
        "accessible cities",
        "volunteer networks",
        "the falling birth rate",
        "school meals",
        "heating for the winter",
    ),
    "event": (
        "the start of the school year",
        "the blackout in {city}",
        "the return of {num_12_60} children from occupied areas",
        "the closure of the hospital in {front_city}",
        "the first frost of the season",
    ),
    "quip": (
        "Children need classrooms, not basements",
        "Veterans come home to a different country",
        "We cannot rebuild without people",
        "Every family has someone missing",
    ),
    "news": (
        "{city} to build {num_300_1500} homes for displaced families by {next_year}",
        "Teachers in {front_region} to get {num_10_40}% bonus for working near front",
        "Bus routes in {city} cut as drivers are mobilised",
        "Pharmacies in {front_city} run short of insulin, residents say",
        "{num_40_300} veterans complete retraining programme in {city}",
        "Free school meals extended to {num_200_900},000 pupils",
        "{num_12_60} children returned to Arvenia from occupied areas",
        "Underground school opens in {city} for {num_300_1200} pupils",
        "Hospitals in {front_region} short of {num_80_400} doctors, ministry says",
        "Government raises payments to displaced families by {num_10_30}%",
        "{city} opens rehabilitation centre for wounded veterans",
        "Heating season starts early in {city} as temperatures drop",
        "Births fall to lowest level in decades, statistics office says",
        "Volunteers in {city} rebuild {num_20_140} homes before winter",
        "Pensioners in {front_city} receive payments by mobile post office",
        "{num_1000_9000} families still waiting for housing in {city}",
        "Mental health hotline received {num_20_90},000 calls in {month}",
    ),
    "brief": (
        "{city} opens {num_3_12} new shelters near schools",
        "Hospital in {front_city} moves operating theatres underground",
        "{num_100_900} blood donors answer {city} appeal in one day",
        "Kindergartens in {city} reopen after {word_2_9}-week closure",
        "{num_2_9},000 pensioners in {front_region} get payments by mobile post",
        "Schools in {city} switch to remote learning for {word_2_9} days",
        "Metro in Dravik to run until midnight during alerts",
        "{city} opens {num_10_60} heating points ahead of winter",
        "{num_2_9},000 displaced people registered in {city} last month",
        "Blood donors needed in {city}, health authorities say",
    ),
    "lede": (
        "An underground school for {num_300_1200} pupils opened in {city} on "
        "{weekday}, allowing children to attend classes in person for the "
        "first time in {word_2_4} years.",
        "Hospitals in {front_region} are short of about {num_80_400} doctors, "
        "{official.full} said on {weekday}, as medical staff leave for safer "
        "regions or abroad.",
        "Volunteers in {city} have rebuilt {num_20_140} homes damaged by "
        "shelling since the spring, racing to finish before the first frost.",
        "{num_12_60} children taken from occupied areas were returned to their "
        "families in Arvenia this week, {official.name}, {official.role}, said "
        "on {weekday}.",
    ),
    "body": (
        "{official.name}, {official.role}, said the programme would be "
        "expanded to {word_3_9} more cities next year if funding allowed.",
        "{expert.name}, {expert.role}, said many families had moved "
        "{word_2_4} times since the invasion and were exhausted.",
        "Parents said that their children had forgotten what it was like to "
        "sit in a classroom with friends.",
        "The school has its own generator, water supply and ventilation, and "
        "can shelter {num_300_1200} people during alerts.",
        "About {dec_3_5} million people are registered as internally displaced, "
        "according to the social policy ministry.",
        "{resident.name}, {resident.role}, said the new centre meant not having "
        "to travel {num_80_300} kilometres for treatment.",
        "The city council said in a statement that it would publish a list of "
        "heating points on its website and in its app.",
        "{ngo}, a charity, said it had distributed {num_3_20},000 winter kits "
        "to families in {front_region} this month.",
    ),
    "quote": (
        "o|Children need classrooms, not basements. We are building both.",
        "o|Every veteran who comes home should find a city that works for them.",
        "e|Displacement is not a single event. For many families, it is now a way of life.",
        "r=a mother of two|The first day, my son ran all the way to the "
        "classroom. He had not done that in two years.",
        "r=a pensioner|We fixed the roof ourselves. The volunteers brought the windows.",
    ),
    "subhead": (
        "Back to class",
        "A shortage of doctors",
        "Coming home",
        "Preparing for winter",
        "Life after the front",
        "Who pays",
    ),
    "caption": (
        "Pupils attend a lesson in an underground school in {city} on {date}.",
        "A volunteer repairs a roof in {village} on {date}.",
        "A nurse checks on a patient at a hospital in {city} on {date}.",
        "Residents collect water from a distribution point in {front_city} on {date}.",
        "A veteran trains with a physiotherapist at a rehabilitation centre in {city} on {date}.",
    ),
    "scene": (
        "Meet {fullname}, the bus driver who never missed a shift in {city}",
        "First day at the underground school in {city}",
        "The volunteers rebuilding {village}",
        "Meet {fullname}, the nurse who stayed in {front_city}",
        "Coming home: a veteran's first year back in {city}",
    ),
}

_TOPICS: dict[str, _Topic] = {
    "war": _WAR,
    "politics": _POLITICS,
    "business": _BUSINESS,
    "world": _WORLD,
    "culture": _CULTURE,
    "investigations": _INVESTIGATIONS,
    "tech-science": _TECH,
    "society": _SOCIETY,
}

# Sections without their own subject matter borrow from the news sections:
# opinion argues about them and video shows them.
_BORROWS: dict[str, tuple[str, ...]] = {
    "opinion": ("war", "politics", "business", "world", "society", "culture"),
    "video": ("war", "society", "culture", "tech-science", "business", "world"),
}

_GLOBAL: dict[str, Sequence[Value]] = {
    "city": _REAR_CITIES + _FRONT_CITIES,
    "rear_city": _REAR_CITIES,
    "front_city": _FRONT_CITIES,
    "village": _VILLAGES,
    "district": _DISTRICTS,
    "region": _PROVINCES,
    "front_region": _FRONT_PROVINCES,
    "ally": _ALLIES,
    "ally_adj": _ALLY_ADJ,
    "ally_city": _ALLY_CITIES,
    "company": _COMPANIES,
    "shell": _SHELL_FIRMS,
    "ngo": _NGOS,
    "ministry": _MINISTRIES,
    "group": _GROUPS,
    "occupation": _OCCUPATIONS,
    "weekday": _WEEKDAYS,
    "month": _MONTHS,
    "pub": (PUB_NAME,),
    "next_year": ("2027",),
    "law": (
        "the lobbying register", "asset declarations", "veterans' benefits",
        "online gambling", "public procurement", "pension indexation",
        "dual citizenship", "local self-government", "the public broadcaster",
    ),
    "supply": (
        "body armour", "winter jackets", "food rations", "generators",
        "drone batteries", "trucks", "fuel", "night-vision goggles",
    ),
    "film": (
        "The Quiet Border", "Salt and Ash", "After the Sirens",
        "A House on the Selva", "Winter Light", "The Last Tram to Podmost",
        "Glass Orchard", "Nine Bridges",
    ),
    "festival": (
        "Selva Film Festival", "Brevonne International Film Festival",
        "Korvetz Jazz Days", "Dravik Book Fair", "Telmira Theatre Biennale",
    ),
    "band": ("Lamplighters", "Northwind Choir", "The Kavka Brothers", "Saltmarsh",
             "Orlen Heights"),
    "expert": (
        _p("Oren Baltz", "", "a military analyst at the Dravik Centre for "
           "Security Studies"),
        _p("Sana Ivert", "", "a political scientist at Dravik University"),
    ),
}  # fmt: skip

# Slots whose value should stay the same for a whole article, so that the
# paragraphs read as one story about one place and one set of people.
_STICKY = frozenset(
    {
        "official",
        "expert",
        "resident",
        "city",
        "front_city",
        "rear_city",
        "village",
        "region",
        "front_region",
        "company",
        "shell",
        "ngo",
        "ally",
        "ally_adj",
        "ally_city",
        "issue",
        "supply",
        "film",
        "festival",
        "band",
        "ministry",
    }
)

_VARIETY_CAP = 120
_VARIETY_CACHE: dict[tuple[int, str], int] = {}
_SLOT_VARIETY = {"fullname": 1000, "date": 336, "resident": 1000, "pub": 1}

_S_POSSESSIVE = re.compile(r"\b([A-Z][\w&-]*s)'s\b")
_NUMERIC = re.compile(r"\{(num|dec|word|ord)_(\d+)_(\d+)\}")
_SLOT = re.compile(r"\{([a-z_]+?)(\d*)(?:\.([a-z]+))?\}")


def _ordinal(n: int) -> str:
    """Return "21st"-style ordinals; brigade numbers and anniversaries need them."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _ap_date(rng: random.Random) -> str:
    """Return an AP-style date such as "Nov. 3, 2026" for photo captions."""
    month = rng.randrange(12)
    day = rng.randint(1, 28)
    return f"{_MONTHS_AP[month]} {day}, 2026"


class _Filler:
    """Expand ``{slot}`` templates against one topic with one random stream.

    A filler can be *sticky*: entity slots (people, places, companies) then
    keep their first value across every template it expands, which is what
    makes a run of paragraphs read as one story rather than a collage.
    """

    def __init__(self, rng: random.Random, topic: _Topic, *, sticky: bool) -> None:
        self.rng = rng
        self.topic = topic
        self.sticky = sticky
        self.memory: dict[str, Value] = {}

    def pick(self, items: Sequence[str]) -> str:
        """Choose one template; a thin wrapper so all choices use ``self.rng``."""
        return items[self.rng.randrange(len(items))]

    def pick_varied(self, items: Sequence[str]) -> str:
        """Choose a template, favouring those with many possible fillings.

        Picking uniformly would make a slot-free template ("Caldria blocks
        Union decision ...") repeat every few dozen headlines. Weighting by the
        number of distinct fillings (capped, so no template crowds out the
        rest) keeps a few hundred headlines almost free of duplicates.
        """
        weights = [self.variety(item) for item in items]
        return self.rng.choices(items, weights=weights)[0]

    def variety(self, template: str) -> int:
        """Estimate how many distinct strings ``template`` can produce (capped)."""
        cache_key = (id(self.topic), template)
        cached = _VARIETY_CACHE.get(cache_key)
        if cached is not None:
            return cached
        total = 1
        for _kind, low, high in _NUMERIC.findall(template):
            total *= max(1, int(high) - int(low) + 1)
        seen: set[str] = set()
        for name, suffix, _attr in _SLOT.findall(_NUMERIC.sub("", template)):
            if name + suffix not in seen:
                seen.add(name + suffix)
                total *= self._slot_variety(name)
            total = min(total, _VARIETY_CAP)
        _VARIETY_CACHE[cache_key] = total
        return total

    def _slot_variety(self, name: str) -> int:
        if name in _SLOT_VARIETY:
            return _SLOT_VARIETY[name]
        pool = self.topic.get(name) or _GLOBAL.get(name) or ("",)
        return sum(self.variety(v) if isinstance(v, str) else 1 for v in pool)

    def templates(self, key: str) -> Sequence[str]:
        """Return the topic's template list for ``key`` (templates are strings)."""
        return [v for v in self.topic.get(key, ()) if isinstance(v, str)]

    def fill(self, template: str) -> str:
        """Expand every slot in ``template``; repeated slots get one value.

        Possessives of names ending in "s" follow wire style ("Dunavets'
        opera house", not "Dunavets's").
        """
        local: dict[str, Value] = {}
        return _S_POSSESSIVE.sub(r"\1'", self._expand(template, local, 0))

    def _expand(self, template: str, local: dict[str, Value], depth: int) -> str:
        text = _NUMERIC.sub(self._number, template)

        def replace(match: re.Match[str]) -> str:
            name, suffix, attr = match.group(1), match.group(2), match.group(3)
            value = self._value(name, suffix, local, depth)
            if isinstance(value, dict):
                return value[attr or "name"]
            return value

        return _SLOT.sub(replace, text)

    def _number(self, match: re.Match[str]) -> str:
        kind, low, high = match.group(1), int(match.group(2)), int(match.group(3))
        if kind == "dec":
            return f"{self.rng.uniform(low, high + 0.9):.1f}"
        n = self.rng.randint(low, high)
        if kind == "word":
            return _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else str(n)
        if kind == "ord":
            return _ordinal(n)
        return f"{n:,}"

    def _value(self, name: str, suffix: str, local: dict[str, Value], depth: int) -> Value:
        key = name + suffix
        if key in local:
            return local[key]
        if self.sticky and name in _STICKY and key in self.memory:
            local[key] = self.memory[key]
            return local[key]
        taken = [v for k, v in {**self.memory, **local}.items() if _base(k) == name]
        value: Value = ""
        for _ in range(12):
            value = self._draw(name, local, depth)
            if value not in taken:
                break
        local[key] = value
        if self.sticky and name in _STICKY:
            self.memory[key] = value
        return value

    def _draw(self, name: str, local: dict[str, Value], depth: int) -> Value:
        if name == "fullname":
            return f"{self.pick(_FIRST_NAMES)} {self.pick(_LAST_NAMES)}"
        if name == "date":
            return _ap_date(self.rng)
        if name == "resident":
            first, last = self.pick(_FIRST_NAMES), self.pick(_LAST_NAMES)
            occupation = self.pick(_OCCUPATIONS)
            place = self._expand("{city}", local, depth + 1)
            return _p(f"{first} {last}", "", f"{occupation} in {place}")
        pool = self.topic.get(name) or _GLOBAL.get(name)
        if name == "scene":
            pool = [*(pool or ()), *_GENERIC_SCENES]
        if not pool:
            raise KeyError(f"unknown copy slot {{{name}}}")
        if all(isinstance(v, str) for v in pool) and any("{" in str(v) for v in pool):
            # Nested templates: lean towards the richer ones, but only gently
            # (square root) so plain entries still appear regularly.
            weights = [self.variety(str(v)) ** 0.5 for v in pool]
            value: Value = self.rng.choices(list(pool), weights=weights)[0]
        else:
            value = pool[self.rng.randrange(len(pool))]
        if isinstance(value, str) and "{" in value and depth < 4:
            return self._expand(value, local, depth + 1)
        return value


def _base(key: str) -> str:
    """Strip the numeric suffix that distinguishes ``{city}`` from ``{city2}``."""
    return key.rstrip("0123456789")


def _topic_for(rng: random.Random, section_slug: str) -> _Topic:
    """Resolve a section to its subject pools, borrowing for opinion/video.

    Unknown slugs fall back to a random news section so that a site builder
    adding a new section still gets sensible copy instead of an exception.
    """
    if section_slug in _TOPICS:
        return _TOPICS[section_slug]
    choices = _BORROWS.get(section_slug, tuple(_TOPICS))
    return _TOPICS[choices[rng.randrange(len(choices))]]


_KICKER = re.compile(r"^([A-Z][A-Za-z]+: )(.)")


def _cap(text: str) -> str:
    """Capitalise the first letter, and the first after a one-word kicker.

    Leading quotation marks are skipped, but a leading figure ("8,000
    displaced ...") is left alone rather than capitalising the next word.
    """
    i = 0
    while i < len(text) and text[i] in "‘“'\"":
        i += 1
    if i < len(text) and text[i].isalpha():
        text = text[:i] + text[i].upper() + text[i + 1 :]
    return _KICKER.sub(lambda m: m.group(1) + m.group(2).upper(), text)


# ---------------------------------------------------------------------------
# Format-specific templates (shared across sections)
# ---------------------------------------------------------------------------

_ANALYSIS_HEADLINES = (
    "Analysis: What {event} means for {issue}",
    "Why the fight over {issue} has become a test for {official.last}",
    "Analysis: The fight over {issue} is back. Here is why",
    "The hidden costs of {issue}",
    "Analysis: Three things to watch after {event}",
    "What {event} tells us about {issue}",
    "Why {issue} matters for {group}",
    "Analysis: Behind {event}, a quieter fight over {issue}",
    "{official.name} is betting on {issue}. It may not pay off",
    "The numbers behind {issue}",
    "After {event}, {group} are asking hard questions",
    "Analysis: {issue} and {issue2} are now the same problem",
    "How {event} changes the calculation in Dravik",
    "Analysis: The winners and losers of {event}",
    "Analysis: Outside Dravik, the debate over {issue} looks very different",
    "{official.last}'s gamble on {issue} faces its first test in {city}",
    "Analysis: Why {group} hold the key to {issue}",
)

_EXPLAINER_HEADLINES = (
    "Explainer: What we know about {event}",
    "Explainer: {issue} in {word_4_7} questions",
    "What you need to know about {issue}",
    "{issue}: who decides, who pays and what happens next",
    "A reader's guide to {issue}",
    "Explainer: Why {event} matters",
    "Everything we know so far about {event}",
    "Explainer: The debate over {issue}, and where it goes from here",
    "What {issue} means for {group}, explained",
    "Explainer: How {event} affects {group}",
    "{issue}, explained in {word_3_6} charts",
    "Explainer: What {event} means for {group} in {city}",
    "Explainer: {official.last}'s plan for {issue}, in plain language",
    "{issue}: what is at stake, and why it matters now",
)

_INTERVIEW_HEADLINES = (
    "‘{quip}’: {official.name} on {issue}",
    "Interview: {official.full} on {issue} and {issue2}",
    "{official.name}: ‘{quip}’",
    "‘{quip},’ says {expert.name}",
    "Interview: {fullname}, {occupation} from {city}, on {issue}",
    "‘{quip}’: a conversation with {expert.name}",
    "In conversation: {official.name} on {event}",
    "‘{quip}’ — {fullname} on life in {city}",
    "Interview: {expert.name} on {issue} and what comes after {event}",
    "‘{quip}’: {fullname}, {occupation} in {city}, on the year ahead",
    "Interview: {official.name} on {event} and {issue}",
    "{fullname}, {occupation} in {front_city}: ‘{quip}’",
)

_INVESTIGATION_HEADLINES = (
    "Investigation: How {issue} became a business for insiders",
    "How ${num_3_90} million meant for {issue} went missing",
    "Investigation: The companies profiting from {issue}",
    "Who is behind {shell}, the little-known firm that won {num_6_40} state contracts",
    "Investigation: A deputy {ministry} minister, a villa and {shell}",
    "Documents reveal how {shell} cornered the market for {supply}",
    "The {city} connection: how {issue} enriched a local network",
    "Investigation: {num_3_40} officials, {word_2_9} shell firms and the money for {issue}",
    "How {shell} turned {issue} into ${num_2_60} million",
    "Investigation: The {city} officials who signed off on {shell}'s contracts",
    "{fullname}, {shell} and the ${num_3_90} million question",
    "Investigation: Where the money for {issue} in {city} really went",
)

_OPINION_HEADLINES = (
    "Arvenia cannot afford to wait on {issue}",
    "On {issue}, the government keeps failing the test",
    "Stop treating {issue} as an afterthought",
    "Our allies' hesitation on {issue} has a price",
    "What {city} taught me about {issue}",
    "Our leaders owe the public a straight answer on {issue}",
    "What {issue} needs is a plan, not another promise",
    "Why I changed my mind about {issue}",
    "{event} should be a wake-up call",
    "Don't let {event} become an excuse",
    "Editorial: The country deserves better on {issue}",
    "Let's be honest about {issue}",
    "After {event}, it is time to listen to {group}",
    "The quiet heroes of {city} deserve more than applause",
    "Getting {issue} right is not a luxury. It is a matter of survival",
    "I was wrong about {issue}. Here is what I learned",
    "{official.last}'s plan for {issue} will fail {group}",
    "On {issue}, {group} are right and Dravik is wrong",
    "The lesson of {event} for {group}",
    "{issue}: a letter from {city}",
    "What {event} should teach us about {issue}",
    "If {official.last} is serious about {issue}, start with {group}",
    "Nobody in Dravik wants to talk about {issue}. We must",
    "The real scandal of {event} is what came after",
)

_GENERIC_SCENES = (
    "A day with {occupation} in {city}",
    "{city}, {word_3_5} years into the war",
    "Meet {fullname}, {occupation} who refused to leave {front_city}",
    "What people in {city} think about {issue}",
    "Voices from {city} on {issue}",
    "The road from {rear_city} to {front_city}",
)

_VIDEO_HEADLINES = (
    "Video: {scene}",
    "Watch: {scene}",
    "{scene}",
    "Dispatch: {scene}",
    "{scene} | Documentary",
    "{scene} (video)",
)

_OPINION_SENTENCES = (
    "I have spent {word_3_9} years reporting from {city}, and I have rarely "
    "seen a debate as muddled as the one about {issue}.",
    "I understand why officials want to move carefully on {issue}. But caution "
    "has a cost, and it is not paid by the people who work in Dravik's "
    "ministries.",
    "When I spoke to {resident.name}, {resident.role}, last month, the question "
    "was not whether the state would help but when.",
    "My argument is not that the government has done nothing. It is that what "
    "it has done is too slow, too timid and too poorly explained.",
    "We should be honest with ourselves: {issue} will not fix itself, and "
    "every month of delay makes the eventual bill larger.",
    "I do not doubt the good intentions of {official.name}. I doubt the plan.",
    "Some readers will say this is the wrong moment for criticism. I would "
    "argue that wartime is exactly when public scrutiny matters most.",
    "Our allies are watching, but so are {group}, and they deserve a straight answer first.",
    "There is a better way. It starts with publishing the numbers, setting "
    "deadlines and letting independent auditors check the results.",
    "I have heard the same promise on {issue} from {word_3_5} different "
    "ministers. None of them is still in the job.",
    "If we want {group} to keep trusting the state, the state has to show "
    "that it trusts them with the truth.",
    "I am not asking for miracles. I am asking for a timetable, a budget and "
    "someone who answers for both.",
)

_OPINION_LEDES = (
    "For {word_2_4} years, every government in Dravik has promised to fix "
    "{issue}. Every one of them has found a reason to wait, and I no longer "
    "believe the reasons.",
    "Last week I went back to {city}, where I grew up, to ask people what they "
    "thought about {issue}. Most of them laughed before they answered.",
    "There is a comfortable story in Dravik about {issue}: that the hard "
    "decisions have been taken and the rest is paperwork. It is not true.",
    "I want to make an unfashionable argument about {issue}, and I want to "
    "make it while there is still time for it to matter.",
)

_ANALYSIS_SENTENCES = (
    "The question now is whether the government can turn a political victory "
    "into a practical one before winter.",
    "There are three reasons this matters beyond Dravik: money, credibility and time.",
    "Seen from {city}, the debate looks very different than it does in the Assembly.",
    "None of this is new, but the pressure has changed, and so has the cost of getting it wrong.",
    "Officials privately concede that the original timetable was never realistic.",
    "The numbers tell part of the story: spending on {issue} has risen by "
    "about {num_12_60}% in {word_2_4} years, while results have lagged.",
)

_EXPLAINER_SENTENCES = (
    "In short, {issue} affects almost everyone, but it affects {group} most.",
    "The rules were last changed in {num_2019_2025}, and several of them were "
    "written before the full-scale invasion.",
    "Here is what we know, what we do not know and what to watch for in the coming weeks.",
    "The decision rests with the cabinet, but the Assembly must approve any change to the budget.",
    "If nothing changes, officials expect the issue to return by {month}.",
    "The answer depends on who you ask, but most experts agree on the basic facts.",
)

_INTERVIEW_SENTENCES = (
    "{official.name} spoke to {pub} in {city} on {weekday}. The interview has "
    "been edited for length and clarity.",
    "Asked about {issue}, {official.last} paused before answering. “We made "
    "mistakes, and we are fixing them,” {official.last} said.",
    "{official.last} said the hardest part of the job was explaining to "
    "{group} why decisions took so long.",
    "“People think there is a plan for everything,” {official.last} said. "
    "“Often there is a plan for the next two weeks.”",
    "On {issue2}, {official.last} was more cautious, saying only that talks were continuing.",
)

_VIDEO_SENTENCES = (
    "Our video team spent {word_3_9} days in {city} for this report.",
    "The film follows {resident.name}, {resident.role}, over a single week.",
    "Filming took place between air-raid alerts, and some scenes were recorded in shelters.",
    "This video contains scenes some viewers may find distressing.",
)

_GENERIC_SENTENCES = (
    "{pub} could not independently verify the figures.",
    "Officials in {city} declined to comment on {weekday}.",
    "The ministry said in a statement that it would publish a full assessment "
    "within {word_2_4} weeks.",
    "The figures are broadly in line with estimates from {ngo}, which has "
    "tracked the issue since 2022.",
    "{resident.name}, {resident.role}, said people in the area had stopped "
    "expecting quick answers. “We just want to know the plan,” {resident.last} "
    "said.",
    "It was not immediately clear how the decision would affect {group}.",
    "A spokesperson for the regional administration said more details would "
    "be released on {weekday}.",
)

_DEK_TEMPLATES: dict[str, tuple[str, ...]] = {
    "article": (
        "Officials in {city} say the situation is under control, but residents "
        "and experts are less sure.",
        "{official.full} said the government would respond within days, as "
        "pressure grows over {issue}.",
        "The decision affects thousands of people in {region} and raises fresh "
        "questions about {issue}.",
        "It is the latest sign of how the debate over {issue} is reshaping life in {city}.",
    ),
    "brief": (
        "Officials said more details would follow.",
        "The figures could not be independently verified.",
        "The announcement came on {weekday} after a meeting in {city}.",
    ),
    "opinion": (
        "The government keeps promising action on {issue}. It is time to ask why it never arrives.",
        "A columnist argues that {group} deserve more than patience and press releases.",
        "We can do better on {issue}, and we should start by admitting what has gone wrong.",
    ),
    "analysis": (
        "Behind the headlines, the row over {issue} is turning into a test of "
        "the government's credibility.",
        "The latest decision solves one problem and creates two more, analysts say.",
        "What looks like a technical dispute is really a fight over who pays.",
    ),
    "explainer": (
        "What has changed, who is affected and what happens next.",
        "The key facts about {issue}, and the questions that remain unanswered.",
        "A guide to the decision that will shape the next year for {group}.",
    ),
    "interview": (
        "{official.name} talks about {issue}, mistakes and the months ahead.",
        "A candid conversation about {issue}, and what it has cost.",
        "{expert.name} on why {issue} will define the coming year.",
    ),
    "investigation": (
        "Documents obtained by {pub} show how millions meant for {issue} ended "
        "up with a handful of insiders.",
        "A months-long investigation traces the money from the state budget to {shell}.",
        "Nobody checked the contracts. {pub} did.",
    ),
    "video": (
        "Our video team went to {city} to see {issue} up close.",
        "A short film about the people behind {issue}.",
        "Filmed over {word_3_9} days in {city}.",
    ),
}


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def _check_format(fmt: str) -> str:
    """Validate ``fmt`` and return it as a plain ``str``.

    A typo should fail in tests, not on a page. Callers may pass a string enum
    (Django's ``TextChoices``), whose hash differs from its value's, so the
    canonical plain string is returned for use as a dictionary key.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    return FORMATS[FORMATS.index(fmt)]


def _effective_format(section_slug: str, fmt: str) -> str:
    """Treat a plain article in the opinion or video section as that format."""
    if fmt == "article" and section_slug in ("opinion", "video"):
        return section_slug
    return fmt


def headline(rng: random.Random, section_slug: str, fmt: str) -> str:
    """Return one headline for ``section_slug`` in format ``fmt``.

    Headlines are combinations of templates and entities, so the space is
    large enough that a few hundred calls rarely repeat; callers that need
    strict uniqueness should still dedupe, because nothing is tracked here.
    """
    fmt = _effective_format(section_slug, _check_format(fmt))
    topic = _topic_for(rng, section_slug)
    filler = _Filler(rng, topic, sticky=False)
    if fmt == "opinion":
        template = filler.pick_varied(_OPINION_HEADLINES)
    elif fmt == "video":
        template = filler.pick_varied(_VIDEO_HEADLINES)
    elif fmt == "brief":
        template = filler.pick_varied(filler.templates("brief"))
    elif fmt == "analysis":
        template = filler.pick_varied(_ANALYSIS_HEADLINES)
    elif fmt == "explainer":
        template = filler.pick_varied(_EXPLAINER_HEADLINES)
    elif fmt == "interview":
        template = filler.pick_varied(_INTERVIEW_HEADLINES)
    elif fmt == "investigation":
        own = filler.templates("news") if topic is _INVESTIGATIONS else ()
        template = filler.pick_varied([*_INVESTIGATION_HEADLINES, *own])
    else:
        template = filler.pick_varied(filler.templates("news"))
    return _cap(filler.fill(template))


def dek(rng: random.Random, section_slug: str, fmt: str) -> str:
    """Return a one-sentence standfirst that suits the headline's format."""
    fmt = _effective_format(section_slug, _check_format(fmt))
    filler = _Filler(rng, _topic_for(rng, section_slug), sticky=False)
    return _cap(filler.fill(filler.pick(_DEK_TEMPLATES[fmt])))


_MIN_WORDS = 40
_MAX_WORDS = 90
_MAX_SENTENCE_WORDS = 50


def _sentence_pool(topic: _Topic, fmt: str) -> list[str]:
    """Choose which sentence families make up the body for a format."""
    body = [v for v in topic.get("body", ()) if isinstance(v, str)]
    extra: dict[str, tuple[str, ...]] = {
        "analysis": _ANALYSIS_SENTENCES,
        "explainer": _EXPLAINER_SENTENCES,
        "interview": _INTERVIEW_SENTENCES,
        "video": _VIDEO_SENTENCES,
    }
    if fmt == "opinion":
        return [*_OPINION_SENTENCES, *_ANALYSIS_SENTENCES]
    return [*body, *_GENERIC_SENTENCES, *extra.get(fmt, ())]


def _paragraph(filler: _Filler, first: str | None, pool: Sequence[str], used: set[str]) -> str:
    """Assemble sentences until the paragraph holds 40-90 words.

    Every accepted sentence is at most 50 words, so while the paragraph is
    still under 40 words the next sentence always fits under 90; the loop is
    therefore guaranteed to finish. ``used`` spans the whole article so that
    sentences only repeat once the pool is exhausted.
    """
    sentences: list[str] = []
    words = 0
    if first is not None:
        text = filler.fill(first)
        sentences.append(text)
        words = len(text.split())
    attempts = 0
    while words < _MIN_WORDS:
        attempts += 1
        template = filler.pick(pool)
        if template in used and attempts < 60:
            continue
        text = filler.fill(template)
        n = len(text.split())
        if n > _MAX_SENTENCE_WORDS or words + n > _MAX_WORDS:
            continue
        used.add(template)
        sentences.append(text)
        words += n
    return " ".join(_cap(s) for s in sentences)


def paragraphs(rng: random.Random, section_slug: str, fmt: str, count: int) -> list[str]:
    """Return ``count`` body paragraphs of 40-90 words each.

    People, places and the central issue stay fixed across the paragraphs so
    the text reads as one story. Opinion pieces are written in the first
    person; news formats open with a wire-style lede and attribute claims.
    """
    fmt = _effective_format(section_slug, _check_format(fmt))
    if count < 0:
        raise ValueError("count must not be negative")
    topic = _topic_for(rng, section_slug)
    filler = _Filler(rng, topic, sticky=True)
    pool = _sentence_pool(topic, fmt)
    if fmt == "opinion":
        ledes: Sequence[str] = _OPINION_LEDES
    else:
        ledes = filler.templates("lede")
    used: set[str] = set()
    out: list[str] = []
    for index in range(count):
        first = filler.pick(ledes) if index == 0 and ledes else None
        out.append(_paragraph(filler, first, pool, used))
    return out


_GENERIC_SUBHEADS = (
    "What happens next", "The view from the ground", "A question of money",
    "What officials say", "The numbers", "Lessons from last winter",
    "Voices from {city}", "Who is responsible", "A long road ahead",
)  # fmt: skip


def subheading(rng: random.Random, section_slug: str) -> str:
    """Return a short crosshead to break up long articles."""
    filler = _Filler(rng, _topic_for(rng, section_slug), sticky=False)
    own = filler.templates("subhead")
    return _cap(filler.fill(filler.pick([*own, *own, *_GENERIC_SUBHEADS])))


def pull_quote(rng: random.Random, section_slug: str) -> tuple[str, str]:
    """Return ``(quote, attribution)`` for a pull quote.

    The attribution reads like "Mira Valen, mayor of Korvetz"; the kind of
    speaker (official, expert or resident) is chosen to fit the quote.
    """
    filler = _Filler(rng, _topic_for(rng, section_slug), sticky=False)
    raw = filler.pick(filler.templates("quote"))
    kind, _, text = raw.partition("|")
    kind, _, occupation = kind.partition("=")
    if kind == "o":
        speaker = "{official.name}, {official.post}"
    elif kind == "e":
        speaker = "{expert.name}, {expert.post}"
    else:
        # Residents keep the article ("a nurse in Varnel"), as a wire would.
        occupation = occupation or filler.pick(_OCCUPATIONS)
        place = "" if " in " in occupation else " in {city}"
        speaker = "{fullname}, " + occupation + place
    rendered = filler.fill(f"{text}\n{speaker}")
    quote, _, attribution = rendered.partition("\n")
    return quote, attribution


def image_caption(rng: random.Random, section_slug: str) -> str:
    """Return a wire-style caption: who, what, where and an AP-style date."""
    filler = _Filler(rng, _topic_for(rng, section_slug), sticky=False)
    return filler.fill(filler.pick(filler.templates("caption")))


def image_credit(rng: random.Random) -> str:
    """Return "Photographer / Agency" or the house credit for staff photos."""
    if rng.random() < 0.3:
        return PUB_NAME
    name = _PHOTOGRAPHERS[rng.randrange(len(_PHOTOGRAPHERS))]
    agency = _AGENCIES[rng.randrange(len(_AGENCIES))]
    return f"{name} / {agency}"


_CORRECTIONS = (
    "An earlier version of this article misstated the number of {thing}. It "
    "was {num_3_90}, not {num_3_90b}. The article has been corrected.",
    "An earlier version of this article misspelled the name of {fullname}, {occupation} in {city}.",
    "An earlier version of this article incorrectly described {official.name} "
    "as {wrong_role}. {official.last} is {official.role}.",
    "An earlier version of this article gave the wrong date for {event_noun}. "
    "It took place on {weekday}, not {weekday2}.",
    "A photo caption in an earlier version of this article misidentified the "
    "location as {city}. The photo was taken in {city2}.",
    "An earlier version of this article said {company} was state-owned. It is privately owned.",
)

_CLARIFICATIONS = (
    "This article has been updated to clarify that the figures refer to "
    "{region} only, not the whole country.",
    "This article has been amended to make clear that {company} did not "
    "respond to requests for comment before publication.",
    "This article has been updated to clarify that the poll was conducted "
    "before {weekday}'s announcement.",
    "An earlier version of this article did not make clear that {ngo} "
    "receives part of its funding from the Meridian Union.",
    "This article has been updated to clarify that the quoted estimate comes "
    "from regional officials and has not been independently verified.",
)

_UPDATES = (
    "This article was updated at {hour}:{minute} with comments from {official.role}.",
    "This story has been updated with the latest casualty figures from the "
    "regional administration.",
    "Update, {weekday}: {company} responded to our questions after "
    "publication. Its statement has been added.",
    "This article was updated after the Assembly's vote on {weekday} evening.",
    "This is a developing story and will be updated as more information becomes available.",
    "Update: {official.full} confirmed the figures at a news conference on {weekday}.",
)

_CORRECTION_SLOTS: _Topic = {
    **_POLITICS,
    "thing": (
        "people evacuated", "drones shot down", "schools damaged",
        "lawmakers who voted for the bill", "contracts signed", "villages affected",
    ),
    "wrong_role": ("a deputy minister", "a former minister", "an opposition lawmaker",
                   "a presidential adviser"),
    "event_noun": ("the vote", "the attack", "the news conference", "the protest",
                   "the prisoner exchange"),
    "hour": tuple(f"{h:02d}" for h in range(7, 23)),
    "minute": ("05", "12", "20", "34", "41", "48", "55"),
}  # fmt: skip


def _editor_note(rng: random.Random, templates: Sequence[str]) -> str:
    """Expand one editorial note, guaranteeing the two numbers differ."""
    filler = _Filler(rng, _CORRECTION_SLOTS, sticky=False)
    template = filler.pick(templates)
    if "{num_3_90b}" in template:
        right = rng.randint(3, 90)
        wrong = right + rng.choice((-2, -1, 1, 2, 10))
        template = template.replace("{num_3_90}", str(right)).replace("{num_3_90b}", str(wrong))
    return filler.fill(template)


def correction(rng: random.Random) -> str:
    """Return a correction note of the kind appended to a story."""
    return _editor_note(rng, _CORRECTIONS)


def clarification(rng: random.Random) -> str:
    """Return a clarification note: nothing was wrong, but it was unclear."""
    return _editor_note(rng, _CLARIFICATIONS)


def update_note(rng: random.Random) -> str:
    """Return a short note explaining how a story changed after publication."""
    return _editor_note(rng, _UPDATES)


def video_title(rng: random.Random) -> str:
    """Return a title for a standalone video, drawn from several sections."""
    return headline(rng, "video", "video")


def video_description(rng: random.Random) -> str:
    """Return a two-sentence description for a video page or feed."""
    filler = _Filler(rng, _topic_for(rng, "video"), sticky=True)
    first = filler.fill(filler.pick(_DEK_TEMPLATES["video"]))
    second = filler.fill(filler.pick(_VIDEO_SENTENCES))
    return f"{_cap(first)} {_cap(second)}"


# ---------------------------------------------------------------------------
# Standard pages
# ---------------------------------------------------------------------------

STANDARD_PAGES: dict[str, dict[str, object]] = {
    "about": {
        "title": "About us",
        "intro": (
            "The Arvenian Independent is a reader-funded newsroom in Dravik "
            "that reports on Arvenia in English for the world."
        ),
        "paragraphs": [
            "We were founded in 2016 by a group of reporters who had left a "
            "newspaper after its owner tried to dictate coverage of his "
            "business partners. We promised ourselves that would never happen "
            "again, and we built the newsroom so that it cannot: no single "
            "owner, donor or advertiser controls more than a small share of "
            "our budget.",
            "Today about two-thirds of our income comes from members, readers "
            "in Arvenia and abroad who pay a monthly or yearly contribution. "
            "The rest comes from advertising, events and grants from "
            "foundations that have no say over what we publish. We list every "
            "grant above $10,000 on our transparency page.",
            "Since Valdoria's full-scale invasion, our reporters have covered "
            "the war from the front line, the home front and the capitals of "
            "our allies. We also keep reporting on the things that do not stop "
            "during a war: corruption, reform, culture and everyday life.",
            "Our newsroom employs more than 40 people, including reporters, "
            "editors, photographers, video producers and fact-checkers. Most "
            "of us are based in Dravik; correspondents work from Korvetz, "
            "Telmira, the eastern provinces and Brevonne.",
        ],
    },
    "contact": {
        "title": "Contact us",
        "intro": (
            "We read every message. Here is how to reach the right person, and "
            "how to send us information safely."
        ),
        "paragraphs": [
            "For general questions and feedback on our journalism, write to "
            "newsroom@example.org. To report an error in an article, write to "
            "corrections@example.org and include a link to the story.",
            "Members can reach our membership team at members@example.org for "
            "help with payments, newsletters and accounts. Press and "
            "partnership enquiries go to partnerships@example.org.",
            "If you have a tip, documents or a story we should investigate, "
            "write to tips@example.org. For sensitive information, use an "
            "encrypted messaging app and ask us for a current contact number "
            "from a device that is not provided by your employer.",
            "We never reveal our sources without their consent. If you are in "
            "danger or worried about being identified, tell us before you send "
            "anything, and an editor will explain the safest way to share it.",
            "Our office is in Dravik's Old Town. For safety reasons we do not "
            "publish the street address, and visits are by appointment only.",
        ],
    },
    "corrections-policy": {
        "title": "Corrections policy",
        "intro": ("We make mistakes. When we do, we correct them quickly and openly."),
        "paragraphs": [
            "When we get a fact wrong, we fix the article and add a correction "
            "at the bottom that explains what was wrong and what is right. We "
            "do not quietly change published facts.",
            "A clarification is added when an article was accurate but could "
            "have misled readers, for example because important context was "
            "missing. An update note tells readers when a story has changed "
            "because events moved on.",
            "Minor fixes to spelling, grammar or style that do not change the "
            "meaning of an article are made without a note.",
            "Corrections are decided by the editor on duty and reviewed by the "
            "standards editor. To report an error, email corrections@example.org; "
            "we aim to respond within two working days.",
            "We publish a monthly list of all corrections so that readers can "
            "see how often we get things wrong and what we have learned.",
        ],
    },
    "ethics": {
        "title": "Ethics and standards",
        "intro": ("Our readers trust us because we follow rules we publish and hold ourselves to."),
        "paragraphs": [
            "Independence: our journalists do not accept gifts, paid travel or "
            "payments from people or organisations they cover. Staff may not "
            "hold shares in companies they report on, and must declare any "
            "conflict of interest to their editor.",
            "Accuracy and fairness: we verify information before publishing it, "
            "we give people and organisations a fair chance to respond to "
            "allegations, and we say so when they decline.",
            "Sources: we prefer named sources. We grant anonymity only when a "
            "source faces real risk and the information is important and cannot "
            "be obtained otherwise, and at least one editor must know the "
            "source's identity.",
            "War reporting: we do not publish information that could endanger "
            "soldiers or civilians, such as the positions of units or the "
            "locations of air-defence systems. We are careful with images of "
            "the dead and wounded and respect the dignity of victims.",
            "Separation: advertising and sponsored content are always labelled "
            "and are produced without the involvement of our reporters. Members "
            "and donors have no influence over our editorial decisions.",
        ],
    },
    "team": {
        "title": "Our team",
        "intro": (
            "Meet the reporters, editors, producers and staff who make The "
            "Arvenian Independent, in Dravik and beyond."
        ),
        "paragraphs": [],
    },
}
