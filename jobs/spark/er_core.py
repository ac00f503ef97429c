"""Entity resolution, engine-independent: the one implementation both engines run.

Spark (`jobs/spark/entity_resolution.py`, the pipeline) and DuckDB (`icefloe resolve`, one machine)
execute the same steps:

1. normalise every record with `normalise_record` (pure Python: `phonenumbers` is the only
   third-party import, loaded lazily) - DuckDB maps it over Arrow rows, Spark over RDD partitions;
2. block, score and assign ids with the SQL sections of `sql/02_semantic/er_method.sql`, which
   both engines run as they are (only functions both have, with the same meaning);
3. weight each comparison level Fellegi-Sunter style, log2(m/u), from `Params` (rendered into
   SQL), so each link carries the comparisons that made it;
4. cluster with connected components over links above the threshold, in SQL, and split any cluster
   larger than `max_cluster_size` by re-adding its links strongest first under the size cap.

The file lives beside the Spark jobs because they must stay self-contained (they run in
`.venv-spark` and on EMR without the `icefloe` package); the `icefloe` package loads it by path.
It imports nothing outside the standard library at module level.

Incremental runs: the records that are new or changed are blocked against the existing blocking
index; only links that can have changed are re-scored (pairs touching a changed record, and pairs
inside a block whose size crossed a guard), and only the clusters those links touch are
re-clustered. Scores depend on nothing but the two records and the sizes of the blocks they share,
so an incremental history gives the same clustering as a full rebuild; ids are kept by `CLAIMS`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("icefloe.er")

SQL_FILE = Path(os.environ.get("ICEFLOE_SQL_DIR", Path(__file__).resolve().parents[2] / "sql")) \
    / "02_semantic" / "er_method.sql"

#: the fields a person record may map (all optional but `id`); `name` is a full name ("Ada Lovelace",
#: "Lovelace, Ada"), split into first and last name where those are not mapped or empty
INPUT_FIELDS = ("id", "source", "first_name", "last_name", "email", "phone", "street_number", "street",
                "address_2", "city", "state", "postcode", "dob", "national_id", "name")
#: the columns of a normalised record, in order
NORMALISED = ("rid", "source", "source_id", "first_name", "first_name_canon", "last_name", "email", "phone",
              "street_number", "street", "address_2", "city", "state", "postcode", "dob", "national_id",
              "record_hash")
STATE_EXTRA = ("entity_id", "match_confidence")

# =============================================================================
# Normalisation
# =============================================================================

#: common English nicknames -> the formal name they stand for (both sides of a comparison are mapped)
NICKNAMES = {
    "bill": "william", "billy": "william", "will": "william", "willy": "william", "liam": "william",
    "bob": "robert", "bobby": "robert", "rob": "robert", "robbie": "robert", "bert": "robert",
    "dick": "richard", "rick": "richard", "ricky": "richard", "rich": "richard",
    "jim": "james", "jimmy": "james", "jamie": "james", "mike": "michael", "mick": "michael",
    "mickey": "michael", "tom": "thomas", "tommy": "thomas", "joe": "joseph", "joey": "joseph",
    "jack": "john", "johnny": "john", "jon": "john", "chuck": "charles", "charlie": "charles",
    "dave": "david", "davy": "david", "dan": "daniel", "danny": "daniel", "steve": "stephen",
    "steven": "stephen", "stevie": "stephen", "ed": "edward", "eddie": "edward", "ted": "edward",
    "ned": "edward", "tony": "anthony", "andy": "andrew", "drew": "andrew", "matt": "matthew",
    "chris": "christopher", "kit": "christopher", "nick": "nicholas", "alex": "alexander",
    "sam": "samuel", "ben": "benjamin", "greg": "gregory", "pete": "peter", "fred": "frederick",
    "harry": "henry", "hank": "henry", "larry": "lawrence", "jerry": "gerald", "pat": "patrick",
    "ken": "kenneth", "kenny": "kenneth", "ron": "ronald", "ronnie": "ronald", "don": "donald",
    "tim": "timothy", "jeff": "jeffrey", "josh": "joshua", "nate": "nathan", "zach": "zachary",
    "liz": "elizabeth", "beth": "elizabeth", "betty": "elizabeth", "lizzie": "elizabeth",
    "eliza": "elizabeth", "kate": "katherine", "katie": "katherine", "kathy": "katherine",
    "cathy": "katherine", "catherine": "katherine", "kathryn": "katherine", "peggy": "margaret",
    "maggie": "margaret", "meg": "margaret", "jenny": "jennifer", "jen": "jennifer",
    "sue": "susan", "susie": "susan", "patty": "patricia", "trish": "patricia", "becky": "rebecca",
    "debbie": "deborah", "deb": "deborah", "mandy": "amanda", "vicky": "victoria", "abby": "abigail",
    "annie": "anne", "ann": "anne", "jo": "josephine", "sandy": "sandra", "chrissy": "christine",
    "nancy": "anne", "polly": "mary", "molly": "mary", "sally": "sarah", "sara": "sarah",
    "jess": "jessica", "jessie": "jessica", "kim": "kimberly", "vic": "victoria",
    # one short form for two formal names: the formal names share a group ("sam" is Samuel or Samantha)
    "jonathan": "john", "samantha": "samuel",
}
#: the names nicknames stand for: a formal name is never read as a mistyped nickname
_FORMAL_NAMES = frozenset(NICKNAMES.values())

#: street-type words -> their postal abbreviation
STREET_TYPES = {
    "street": "st", "road": "rd", "avenue": "ave", "av": "ave", "boulevard": "blvd", "drive": "dr",
    "lane": "ln", "court": "ct", "place": "pl", "terrace": "tce", "crescent": "cres", "circuit": "cct",
    "highway": "hwy", "parade": "pde", "square": "sq", "close": "cl", "way": "way", "north": "n",
    "south": "s", "east": "e", "west": "w", "apartment": "apt", "suite": "ste", "unit": "unit",
}

#: role mailboxes (RFC 2142 and their common kin): a team reads them, they name no person
ROLE_MAILBOXES = ("info", "sales", "support", "admin", "office", "contact", "hello", "billing", "accounts",
                  "enquiries", "inquiries", "team", "mail", "orders", "help", "marketing", "hr", "service",
                  "webmaster", "postmaster", "noreply", "no-reply", "abuse", "reception", "finance")
#: consumer mailbox providers: a mailbox there is a person's own, one on another domain may be an
#: employer's (email level 'work_and_personal')
CONSUMER_MAIL = ("gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "hotmail.com", "outlook.com", "live.com",
                 "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "pm.me",
                 "gmx.com", "gmx.net", "gmx.de", "web.de", "mail.com", "zoho.com", "yandex.com", "yandex.ru",
                 "fastmail.com", "hey.com", "yahoo.co.uk", "hotmail.co.uk", "outlook.co.uk", "btinternet.com",
                 "comcast.net", "verizon.net", "att.net", "sbcglobal.net", "qq.com", "163.com", "naver.com")
#: providers where dots in the local part and a "+tag" never change the mailbox
_DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
#: providers that deliver "name+tag" to "name" (dots are significant there)
_PLUS_TAGS = {"outlook.com", "hotmail.com", "live.com", "icloud.com", "me.com", "fastmail.com",
              "protonmail.com", "proton.me", "pm.me"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _cached(fn):
    """Field values repeat a lot (names, streets, cities): normalise each distinct value once."""
    return functools.lru_cache(maxsize=1 << 18)(fn)


@_cached
def fold(value: Any) -> str | None:
    """Unicode-fold a free-text value: accents removed, case-folded, punctuation to spaces, trimmed."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        value = int(value) if value.is_integer() else value
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[^0-9a-z]+", " ", text).strip()
    return text or None


#: "first.last@", "first_last@", "first-last@" (digits after it allowed: "ann.lee82@"): the corporate
#: convention and a common personal one
_MAILBOX_NAME = re.compile(r"^([a-z]{2,})[._-]([a-z]{2,})[0-9]*$")
#: words that make a two-word mailbox something other than a person's name ("the.smiths", "home.office")
_NOT_NAMES = frozenset(ROLE_MAILBOXES) | {"the", "family", "home", "house", "shop", "news", "my", "mr", "mrs", "ms",
                                         "dr", "real", "official", "private", "work", "personal", "online"}


@_cached
def name_from_email(value: Any) -> tuple[str, str] | None:
    """(first, last) spelled by a mailbox's local part - "ann.lee+shop@acme.com" -> ("ann", "lee") -
    or None when it is not two name-like words (role and family mailboxes, "jlee@", "annlee@").
    Never at Gmail: it ignores dots, so people (and the generator) put them anywhere ("th.ecoxs@",
    "fm.unoz@"), and a wrong name would make the mailbox look shared by two people."""
    if value is None:
        return None
    local, _, domain = str(value).strip().lower().partition("@")
    if domain in _DOTLESS:
        return None
    m = _MAILBOX_NAME.match(local.split("+", 1)[0])
    if not m or m.group(1) in _NOT_NAMES or m.group(2) in _NOT_NAMES:
        return None
    return m.group(1), m.group(2)


@_cached
def norm_name(value: Any) -> str | None:
    """A name as one folded token ("O'Neil-Smith" -> "oneilsmith")."""
    text = fold(value)
    return text.replace(" ", "") if text else None


@_cached
def canon_first_name(name: str | None) -> str | None:
    """The formal name a nickname stands for ("bill" -> "william"), also through one slip of the keys
    that leaves the nickname recognisable: a doubled letter ("billl", "beckky") or two neighbours
    swapped ("blil"). Other names, formal ones included, stand for themselves."""
    if not name:
        return None
    if name in NICKNAMES or name in _FORMAL_NAMES or len(name) < 4:
        return NICKNAMES.get(name, name)
    slips = {name[:i] + name[i + 1:] for i in range(1, len(name)) if name[i] == name[i - 1]}
    slips |= {name[:i] + name[i + 1] + name[i] + name[i + 2:] for i in range(len(name) - 1)}
    found = {NICKNAMES[s] for s in slips if s in NICKNAMES}
    return found.pop() if len(found) == 1 else name


@_cached
def norm_email(value: Any) -> str | None:
    """Lower case; Gmail without dots and +tag; +tag dropped where the provider ignores it."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if not _EMAIL.match(text):
        return None
    local, domain = text.rsplit("@", 1)
    if domain in _DOTLESS:
        domain = _DOTLESS[domain]
        local = local.split("+", 1)[0].replace(".", "")
    elif domain in _PLUS_TAGS:
        local = local.split("+", 1)[0]
    return f"{local}@{domain}" if local else None


@functools.lru_cache(maxsize=1)
def _phonenumbers():
    try:
        import phonenumbers
    except ImportError as exc:  # pragma: no cover - both virtualenvs pin it
        raise ImportError("entity resolution needs `phonenumbers`: `make venvs` (it is in requirements/*.txt)") \
            from exc
    return phonenumbers


@_cached
def norm_phone(value: Any, region: str = "US") -> str | None:
    """E.164 ("+14155552671") if `phonenumbers` finds a possible number, else None."""
    if value is None:
        return None
    text = str(value).strip()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        text = str(int(value))
    if len(re.sub(r"\D", "", text)) < 6:
        return None
    pn = _phonenumbers()
    try:
        parsed = pn.parse(text, region)
    except pn.NumberParseException:
        return None
    if not pn.is_possible_number(parsed):
        return None
    return pn.format_number(parsed, pn.PhoneNumberFormat.E164)


@_cached
def norm_street(value: Any) -> str | None:
    text = fold(value)
    if not text:
        return None
    return " ".join(STREET_TYPES.get(w, w) for w in text.split())


#: US state and territory names -> postal codes (one system writes "North Dakota", another "ND")
US_STATES = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca", "colorado": "co",
    "connecticut": "ct", "delaware": "de", "district of columbia": "dc", "florida": "fl", "georgia": "ga",
    "hawaii": "hi", "idaho": "id", "illinois": "il", "indiana": "in", "iowa": "ia", "kansas": "ks",
    "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md", "massachusetts": "ma",
    "michigan": "mi", "minnesota": "mn", "mississippi": "ms", "missouri": "mo", "montana": "mt",
    "nebraska": "ne", "nevada": "nv", "new hampshire": "nh", "new jersey": "nj", "new mexico": "nm",
    "new york": "ny", "north carolina": "nc", "north dakota": "nd", "ohio": "oh", "oklahoma": "ok",
    "oregon": "or", "pennsylvania": "pa", "rhode island": "ri", "south carolina": "sc", "south dakota": "sd",
    "tennessee": "tn", "texas": "tx", "utah": "ut", "vermont": "vt", "virginia": "va", "washington": "wa",
    "west virginia": "wv", "wisconsin": "wi", "wyoming": "wy", "puerto rico": "pr", "guam": "gu",
    "american samoa": "as", "virgin islands": "vi", "northern mariana islands": "mp",
    "marshall islands": "mh", "federated states of micronesia": "fm", "palau": "pw",
}


@_cached
def norm_state(value: Any) -> str | None:
    """A state or province, folded; US state names become their postal code."""
    text = fold(value)
    return US_STATES.get(text, text) if text else None


@_cached
def split_name(value: Any) -> tuple[str | None, str | None]:
    """A full name -> (first, last): "Ada Byron Lovelace" -> (Ada, Lovelace), "Lovelace, Ada" -> (Ada, Lovelace).

    A single word is taken as the last name (a first name alone identifies nobody)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, None
    text = str(value).strip()
    if "," in text:
        last, _, first = text.partition(",")
        words = first.split()
        return (words[0] if words else None), (last.strip() or None)
    words = text.split()
    if not words:
        return None, None
    if len(words) == 1:
        return None, words[0]
    return words[0], words[-1]


@_cached
def norm_code(value: Any) -> str | None:
    """Postcodes, street numbers, national ids: folded, no spaces."""
    text = fold(value)
    return text.replace(" ", "") if text else None


@_cached
def norm_dob(value: Any) -> str | None:
    """A date of birth as 8 digits YYYYMMDD; invalid calendar dates are kept (typos still compare)."""
    if value is None:
        return None
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y%m%d")
    if isinstance(value, float):
        if math.isnan(value):
            return None
        value = int(value)
    text = str(value).strip()
    parts = re.split(r"[^0-9]+", text)
    parts = [p for p in parts if p]
    if len(parts) == 1 and len(parts[0]) == 8:
        return parts[0]
    if len(parts) >= 3:
        a, b, c = parts[:3]
        if len(a) == 4:  # year first: YYYY-MM-DD
            y, m, d = a, b, c
        elif len(c) == 4:  # year last: DD/MM/YYYY unless the middle cannot be a month
            y, m, d = (c, a, b) if int(b) > 12 else (c, b, a)
        else:
            return None
        return f"{y}{int(m):02d}{int(d):02d}"[:8]
    return None


def record_hash(values: Iterable[Any]) -> str:
    return hashlib.md5("\x1f".join("" if v is None else str(v) for v in values).encode()).hexdigest()


def normalise_record(raw: dict[str, Any], default_source: str = "records", phone_region: str = "US") \
        -> dict[str, Any] | None:
    """One input record (keys from INPUT_FIELDS, any may be missing) -> a row of NORMALISED.

    Returns None for a record without an id (it cannot be linked back).
    """
    source_id = raw.get("id")
    if source_id is None or (isinstance(source_id, float) and math.isnan(source_id)):
        return None
    if isinstance(source_id, float) and source_id.is_integer():
        source_id = int(source_id)
    source_id = str(source_id).strip()
    source = fold(raw.get("source")) or default_source
    first, last = norm_name(raw.get("first_name")), norm_name(raw.get("last_name"))
    if raw.get("name") is not None and not (first and last):
        split_first, split_last = split_name(raw.get("name"))
        first, last = first or norm_name(split_first), last or norm_name(split_last)
    if not first and not last and norm_email(raw.get("email")):
        # a record without any name takes the one its mailbox spells ("ann.lee@acme.com": a CRM
        # contact with only a work address), so a name at one street address can still link it
        first, last = name_from_email(raw.get("email")) or (None, None)
    row = {
        "rid": f"{source}|{source_id}",
        "source": source,
        "source_id": source_id,
        "first_name": first,
        "first_name_canon": canon_first_name(first),
        "last_name": last,
        "email": norm_email(raw.get("email")),
        "phone": norm_phone(raw.get("phone"), phone_region),
        "street_number": norm_code(raw.get("street_number")),
        "street": norm_street(raw.get("street")),
        "address_2": norm_street(raw.get("address_2")),
        "city": fold(raw.get("city")),
        "state": norm_state(raw.get("state")),
        "postcode": norm_code(raw.get("postcode")),
        "dob": norm_dob(raw.get("dob")),
        "national_id": norm_code(raw.get("national_id")),
    }
    row["record_hash"] = record_hash(row[c] for c in NORMALISED[:-1])
    return row


# =============================================================================
# Parameters: Fellegi-Sunter m and u per comparison level
# =============================================================================

#: (m, u) per level: m = P(level | same person), u = P(level | different people). Set from what
#: these fields look like in person data (u from the number of distinct values a field takes, m from
#: typical entry-error rates), not fitted to any benchmark's labels. A level not listed weighs 0.
DEFAULT_LEVELS: dict[str, dict[str, tuple[float, float]]] = {
    # "alias": equal once a +tag is dropped on any domain; "shared": equal, but the first names on the two
    # records differ - a household or company mailbox ("thesmiths@", "info@") says nothing about the person
    # "work_and_personal": different mailboxes, one at a consumer provider (gmail.com, ...) and the other
    # on another domain (an employer's): weighed as "different", but no conflict for a unique name (below)
    "email": {"exact": (0.90, 1e-6), "alias": (0.03, 1e-6), "shared": (0.01, 0.01), "different": (0.15, 1.0),
              "work_and_personal": (0.15, 1.0)},
    "phone": {"exact": (0.85, 1e-5), "shared": (0.01, 0.01), "different": (0.15, 1.0)},
    "national_id": {"exact": (0.88, 1e-6), "typo": (0.06, 1e-4), "two_typos": (0.03, 1e-3),
                    "different": (0.03, 1.0)},
    "first_name": {"exact": (0.84, 0.01), "nickname": (0.03, 0.002), "swapped": (0.02, 5e-4),
                   "fuzzy": (0.07, 0.004), "initial": (0.01, 0.03), "different": (0.01, 0.95)},
    "last_name": {"exact": (0.86, 0.005), "swapped": (0.02, 5e-4), "fuzzy": (0.08, 0.003),
                  "different": (0.04, 0.99)},
    "dob": {"exact": (0.88, 5e-5), "day_month_swapped": (0.02, 1e-4), "typo": (0.06, 1e-3),
            "two_typos": (0.02, 0.01), "different": (0.02, 0.99)},
    "street_number": {"exact": (0.88, 0.02), "different": (0.12, 0.98)},
    "street": {"exact": (0.85, 0.001), "fuzzy": (0.09, 5e-4), "different": (0.06, 0.998)},
    "address_2": {"exact": (0.80, 0.005), "fuzzy": (0.10, 0.001), "different": (0.10, 0.994)},
    "city": {"exact": (0.85, 0.01), "fuzzy": (0.09, 0.002), "different": (0.06, 0.99)},
    "state": {"exact": (0.95, 0.15), "different": (0.05, 0.85)},
    "postcode": {"exact": (0.88, 0.002), "typo": (0.07, 0.02), "different": (0.05, 0.978)},
    # "unique": the two records carry the same full name (nicknames folded, either order) and no record
    # with a third mailbox carries it (NAME_OWNERS). The name levels above are priced for an average
    # name, which namesakes share; a name only these two mailboxes carry is rarer (Splink's
    # term-frequency adjustment, in its one case that needs no record count). m: a person's records
    # often are the only ones with their name; u: of different people with one full name, few are
    # the only two bearing it.
    "full_name": {"unique": (0.80, 0.05)},
}
#: address fields are correlated (same street -> same city, state, postcode): their summed
#: evidence is capped so a household or a block of flats is not one person by address alone
ADDRESS = ("street_number", "street", "address_2", "city", "state", "postcode")


@dataclass(frozen=True)
class Params:
    """Everything that decides a resolution. Two runs with equal Params and records agree."""

    levels: dict[str, dict[str, tuple[float, float]]] = field(default_factory=lambda: DEFAULT_LEVELS)
    #: probability that two records drawn at random are the same person (Fellegi-Sunter lambda),
    #: fixed rather than estimated so a score never depends on how many records there are
    prior: float = 1e-4
    #: a link needs a match probability of at least this
    threshold: float = 0.5
    address_cap: float = 20.0
    #: the cap when no street line (street, address_2) agrees: a town and a postcode are an area
    area_cap: float = 12.0
    #: all address fields disagreeing are one move: P(another address | same person) ~ 0.06 -> log2(0.06)
    address_floor: float = -4.0
    #: a pair agreeing on no identity key while one conflicts (namesakes) stays below this
    namesake_max_probability: float = 0.2
    max_block_size: int = 200
    max_key_frequency: int = 5
    max_cluster_size: int = 25

    def weight(self, comparison: str, level: str) -> float:
        m, u = self.levels[comparison][level]
        return math.log2(m / u)

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    @property
    def threshold_weight(self) -> float:
        return math.log2(self.threshold / (1 - self.threshold))

    def describe(self) -> dict[str, Any]:
        return {"prior": self.prior, "threshold": self.threshold, "address_cap": self.address_cap, "area_cap": self.area_cap, "address_floor": self.address_floor,
                "namesake_max_probability": self.namesake_max_probability,
                "max_block_size": self.max_block_size, "max_key_frequency": self.max_key_frequency,
                "max_cluster_size": self.max_cluster_size,
                "weights": {c: {lv: round(self.weight(c, lv), 2) for lv in lvs} for c, lvs in self.levels.items()}}


# =============================================================================
# SQL
# =============================================================================


@functools.lru_cache(maxsize=4)
def _sections(path: Path = SQL_FILE) -> dict[str, str]:
    parts = re.split(r"^--\s*====\s+([A-Z_]+)\s+=*\s*$", path.read_text(), flags=re.M)
    # comment lines dropped: they may name {placeholders} without filling them
    return {parts[i]: "\n".join(ln for ln in parts[i + 1].splitlines() if not ln.lstrip().startswith("--"))
            .strip().rstrip(";") for i in range(1, len(parts), 2)}


def _mailbox(col: str) -> str:
    """The mailbox without a +tag on any domain ("ann+shop@acme.com" -> "ann@acme.com"); instr/substr,
    not split_part: DuckDB 2.0 fails to bind split_part on an all-NULL column."""
    return (f"CASE WHEN instr(substr({col}, 1, instr({col}, '@') - 1), '+') > 0 THEN concat(substr({col}, 1, "
            f"instr({col}, '+') - 1), substr({col}, instr({col}, '@'))) ELSE {col} END")


def _name_key(prefix: str) -> str:
    """The full name, nicknames folded, in either order: the key of the 'name' blocking pass."""
    first, last = f"{prefix}first_name_canon", f"{prefix}last_name"
    return f"concat(least({first}, {last}), '|', greatest({first}, {last}))"


#: expressions several sections of er_method.sql share, over the pair's records `l` and `r` (or, without
#: a suffix, over the columns of the one table a section reads)
SNIPPETS = {
    "mailbox": _mailbox("email"), "mailbox_l": _mailbox("l.email"), "mailbox_r": _mailbox("r.email"),
    "name_key": _name_key(""), "name_key_l": _name_key("l."), "name_key_r": _name_key("r."),
    # first and last name given the other way round (a mailbox spells "rubio.brittany"), one of the
    # two also with a typo ("britatny", as the first_name level's 'fuzzy' allows: 1 edit, 2 from 5 letters)
    "names_swapped": "((l.first_name = r.last_name OR l.last_name = r.first_name) AND "
                     "(levenshtein(l.first_name, r.last_name) + levenshtein(l.last_name, r.first_name) <= 1 OR "
                     "(levenshtein(l.first_name, r.last_name) + levenshtein(l.last_name, r.first_name) <= 2 AND "
                     "least(length(l.first_name), length(l.last_name), length(r.first_name), length(r.last_name)) >= 5)))",
}


def method_sql(section: str, **values: Any) -> str:
    """A section of er_method.sql with its {placeholders} filled in (SNIPPETS unless given)."""
    text = _sections()[section]
    for key, value in {**SNIPPETS, **values}.items():
        text = text.replace("{" + key + "}", str(value))
    missing = re.findall(r"\{([a-z_]+)\}", text)
    if missing:
        raise ValueError(f"er_method.sql section {section}: no value for {missing}")
    return text


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def score_sql(params: Params, levels_table: str = "er_levels") -> str:
    """Weights, match probability and the explanation of each scored pair, from the levels table.

    Fellegi-Sunter sums log2(m/u) as if the comparisons were independent; three groups are not, and
    are combined instead (each adjustment appears in the explanation, so the terms still add up):

    - address: street line, town, state and postcode say the same thing several times. Agreeing
      evidence is capped (`address_cap` when a street line agrees, `area_cap` when only the area
      does); disagreeing evidence is floored at `address_floor`: a move changes street, town,
      state and postcode at once, one event.
    - household: a surname and an address (and a mailbox: `email=shared`) are shared by a family.
      When the first names conflict and no identity key agrees, surname and address together weigh
      at most `area_cap`.
    - identity: a name and a town are shared by namesakes, a surname, an address and a household
      mailbox by a family. A pair on which no identity key (email, phone, national id, date of
      birth) agrees stays below `namesake_max_probability` when its first names do not agree (only
      household evidence is left) or when, without a shared street line or house number, an
      identity key or street line conflicts (same name, same town, another mailbox, phone or street
      address), or when, at one dwelling, the first names are only alike (`fuzzy`) while a mailbox or
      phone conflicts (relatives: Mark and Mary).
    """
    terms, area, line, why = [], [], [], []
    for comp, levels in params.levels.items():
        cases = " ".join(f"WHEN {_lit(lv)} THEN {params.weight(comp, lv):.6f}" for lv in levels)
        expr = f"(CASE {comp} {cases} ELSE 0.0 END)"
        if comp in ("street_number", "street", "address_2"):
            line.append(expr)
        elif comp in ADDRESS:
            area.append(expr)
        elif comp != "last_name":
            terms.append(expr)
        text = " ".join(f"WHEN {_lit(lv)} THEN {_lit(f'{comp}={lv}({params.weight(comp, lv):+.1f})')}"
                        for lv in levels)
        why.append(f"(CASE {comp} {text} ELSE CASE WHEN {comp} IS NOT NULL THEN concat('{comp}=', {comp}, '(+0.0)') END END)")
    last = "(CASE last_name " + " ".join(f"WHEN {_lit(lv)} THEN {params.weight('last_name', lv):.6f}"
                                         for lv in params.levels["last_name"]) + " ELSE 0.0 END)"
    line_agrees = "(street IN ('exact', 'fuzzy') OR address_2 IN ('exact', 'fuzzy'))"
    area_sum, line_sum = f"({' + '.join(area)})", f"({' + '.join(line)})"
    raw_address = f"({area_sum} + {line_sum})"
    address = (f"greatest(least({raw_address}, CASE WHEN {line_agrees} THEN {params.address_cap:.6f} "
               f"ELSE {params.area_cap:.6f} END), {params.address_floor:.6f})")
    identity = ("coalesce(email IN ('exact', 'alias') OR phone = 'exact' OR national_id IN ('exact', 'typo', "
                "'two_typos') OR dob IN ('exact', 'typo', 'day_month_swapped'), false)")
    family = (f"(CASE WHEN first_name = 'different' AND NOT {identity} THEN least({last} + {address}, "
              f"{params.area_cap:.6f}) ELSE {last} + {address} END)")
    person = "coalesce(first_name IN ('exact', 'nickname', 'fuzzy', 'swapped'), false)"
    dwelling = f"coalesce({line_agrees} OR street_number = 'exact', false)"
    # a work and a personal mailbox are one person's two when the name is one no other record carries
    conflict = ("coalesce(email = 'different' OR (email = 'work_and_personal' AND full_name IS NULL) "
                "OR phone = 'different' OR national_id = 'different' "
                "OR dob = 'different' OR street = 'different' OR address_2 = 'different', false)")
    # no identity key agrees and: nothing names the person (a surname, an address, a shared mailbox are
    # a household's), or only a name and a town agree while an identity key or street line conflicts
    # or, at one dwelling, the first names are only alike (Mark and Mary, Brittany and Brittney) while
    # a contact key conflicts: each member of a household has a mailbox and a phone of their own,
    # whereas a date of birth or an id number that alone differs is as often mistyped
    contact_conflict = "coalesce(email IN ('different', 'work_and_personal') OR phone = 'different', false)"
    relative = f"(coalesce(first_name = 'fuzzy', false) AND {dwelling} AND {contact_conflict})"
    guarded = f"(NOT {identity} AND (NOT {person} OR (NOT {dwelling} AND {conflict}) OR {relative}))"
    guard = math.log2(params.namesake_max_probability / (1 - params.namesake_max_probability))
    free = f"{params.prior_weight:.6f} + " + " + ".join(terms) + f" + {family}"
    weight = f"(CASE WHEN {guarded} THEN least({free}, {guard:.6f}) ELSE {free} END)"
    # each adjustment says by how much it moved the sum of the terms: the terms add up to the weight
    why.append(f"(CASE WHEN {raw_address} < {address} THEN concat('address=one_move(+', "
               f"CAST(CAST({address} - {raw_address} AS DECIMAL(6, 1)) AS STRING), ')') "
               f"WHEN {raw_address} > {address} THEN concat('address=capped(', "
               f"CAST(CAST({address} - {raw_address} AS DECIMAL(6, 1)) AS STRING), ')') END)")
    why.append(f"(CASE WHEN {last} + {address} <> {family} THEN concat('household=capped(', "
               f"CAST(CAST({family} - {last} - {address} AS DECIMAL(6, 1)) AS STRING), ')') END)")
    why.append(f"(CASE WHEN {free} <> {weight} THEN concat('namesake=capped(', "
               f"CAST(CAST({weight} - ({free}) AS DECIMAL(6, 1)) AS STRING), ')') END)")
    return f"""
        SELECT rid_l, rid_r, blocked_on, match_weight,
               1.0 / (1.0 + power(2.0, -match_weight)) AS match_probability, explanation
        FROM (
          SELECT rid_l, rid_r, blocked_on, CAST({weight} AS DOUBLE) AS match_weight,
                 concat_ws(', ', {', '.join(why)}) AS explanation
          FROM {levels_table}
        ) s"""


# =============================================================================
# Engines
# =============================================================================


class Engine(Protocol):
    """What the method needs from an engine (DuckDB or Spark)."""

    def materialise(self, name: str, sql: str) -> None:
        """Evaluate `sql` once into a temporary table (or cached view) called `name`."""

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """Collect a (small) result to Python."""

    def load_rows(self, name: str, rows: list[dict[str, Any]], columns: dict[str, str]) -> None:
        """A temporary table from Python rows; `columns` maps name -> 'string'|'double'|'bigint'."""

    def normalise(self, source: str, name: str, fn: Callable[[dict[str, Any]], dict[str, Any] | None]) -> None:
        """Temporary table `name` (columns NORMALISED) = `fn` over the rows of `source` (INPUT_FIELDS)."""


class DuckDBEngine:
    """The `Engine` protocol on an in-process DuckDB connection (`duckdb` and `pyarrow`, imported
    here: `icefloe resolve` runs on it, and so does an incremental Spark run whose change is small
    enough to resolve on the driver)."""

    def __init__(self, con: Any = None, threads: int | None = None) -> None:
        import duckdb

        self.con = con or duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")

    def materialise(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def rows(self, sql: str) -> list[dict[str, Any]]:
        cur = self.con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def load_arrow(self, name: str, table: Any) -> None:
        """A temporary table from an Arrow table (or anything DuckDB scans: a record batch reader)."""
        self.con.register("_er_load", table)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _er_load")
        finally:
            self.con.unregister("_er_load")

    def load_rows(self, name: str, rows: list[dict[str, Any]], columns: dict[str, str]) -> None:
        import pyarrow as pa

        types = {"string": pa.string(), "double": pa.float64(), "bigint": pa.int64()}
        schema = pa.schema([(c, types[t]) for c, t in columns.items()])
        # column by column: Table.from_pylist would import pandas when it is installed (seconds)
        self.load_arrow(name, pa.table([pa.array([r.get(c) for r in rows], type=schema.field(c).type)
                                        for c in columns], schema=schema))

    def normalise(self, source: str, name: str, fn) -> None:
        reader = self.con.sql(f"SELECT * FROM {source}").to_arrow_reader(50_000)
        out: list[dict[str, Any]] = []
        for batch in reader:
            for raw in batch.to_pylist():
                row = fn(raw)
                if row is not None:
                    out.append(row)
        self.load_rows(name, out, dict.fromkeys(NORMALISED, "string"))

    def arrow(self, sql: str) -> Any:
        """A result as an Arrow table (to hand to another engine)."""
        return self.con.execute(sql).to_arrow_table()


# =============================================================================
# The run
# =============================================================================

RECORD_COLS = ", ".join(NORMALISED)


@dataclass
class RunResult:
    records: int
    changed: int
    candidate_pairs: int
    links_scored_above: int
    links_total: int
    clusters_recomputed: int
    entities: int
    largest_entity: int
    split_clusters: int
    merges: int
    seconds: float
    phases: dict[str, float]

    @property
    def reduction_ratio(self) -> float:
        total = self.records * (self.records - 1) / 2
        return 1.0 - self.candidate_pairs / total if total else 1.0


def run(engine: Engine, params: Params, run_id: str, now: str, *, first_run: bool = False,
        progress: Callable[[str], None] | None = None) -> RunResult:
    """Resolve the normalised batch `er_input` against the state, writing the new state.

    Reads (temporary tables or views): `er_input` (NORMALISED), `er_state_records`
    (NORMALISED + entity_id, match_confidence, first_seen_at, updated_at), `er_state_blocking`
    (rid, blocking_type, blocking_key), `er_state_links` (rid_l, rid_r, blocked_on, match_weight,
    match_probability, explanation), `er_state_aliases` (alias_id, entity_id, merged_at).
    With `first_run` the state is taken as empty and not read.
    Writes: `er_records`, `er_blocking`, `er_links`, `er_aliases` (the new state, whole), and
    `er_changed` (rids whose entity or confidence was recomputed this run).
    """
    say = progress or (lambda msg: log.info("%s", msg))
    t0 = time.monotonic()
    phases: dict[str, float] = {}

    def phase(name: str, start: float) -> float:
        phases[name] = round(time.monotonic() - start, 3)
        return time.monotonic()

    tick = time.monotonic()
    if first_run:
        engine.materialise("er_changed_in", "SELECT rid FROM er_input")
        engine.materialise("er_batch", f"SELECT {RECORD_COLS} FROM er_input")
        engine.materialise("er_records_base", f"SELECT {RECORD_COLS}, CAST(NULL AS STRING) AS entity_id, "
                           f"CAST(NULL AS DOUBLE) AS match_confidence, CAST('{now}' AS TIMESTAMP) AS first_seen_at, "
                           f"CAST('{now}' AS TIMESTAMP) AS updated_at FROM er_input")
    else:
        engine.materialise("er_changed_in", """
            SELECT i.rid FROM er_input i LEFT JOIN er_state_records s ON s.rid = i.rid
            WHERE s.rid IS NULL OR s.record_hash <> i.record_hash""")
        engine.materialise("er_batch", "SELECT i.* FROM er_input i JOIN er_changed_in c ON c.rid = i.rid")
        cols = ", ".join(f"b.{c}" for c in NORMALISED)
        engine.materialise("er_records_base", f"""
            SELECT s.* FROM er_state_records s LEFT JOIN er_changed_in c ON c.rid = s.rid WHERE c.rid IS NULL
            UNION ALL
            SELECT {cols}, s.entity_id, s.match_confidence,
                   coalesce(s.first_seen_at, CAST('{now}' AS TIMESTAMP)) AS first_seen_at,
                   CAST('{now}' AS TIMESTAMP) AS updated_at
            FROM er_batch b LEFT JOIN er_state_records s ON s.rid = b.rid""")
    changed = engine.rows("SELECT count(*) AS n FROM er_changed_in")[0]["n"]
    total = engine.rows("SELECT count(*) AS n FROM er_records_base")[0]["n"]
    say(f"{total} records, {changed} new or changed")
    engine.materialise("er_records", "SELECT * FROM er_records_base")

    # ---- blocking --------------------------------------------------------------------------------
    engine.materialise("er_batch_keys", method_sql("BLOCKING_KEYS"))
    if first_run:
        engine.materialise("er_blocking", "SELECT * FROM er_batch_keys")
    else:
        engine.materialise("er_blocking", """
            SELECT s.rid, s.blocking_type, s.blocking_key FROM er_state_blocking s
            LEFT JOIN er_changed_in c ON c.rid = s.rid WHERE c.rid IS NULL
            UNION ALL SELECT rid, blocking_type, blocking_key FROM er_batch_keys""")
    g1, g2 = params.max_key_frequency, params.max_block_size
    guards = {"max_block_size": g2, "max_key_frequency": g1}

    def klass(col: str) -> str:
        return f"(CASE WHEN {col} > {g2} THEN 2 WHEN {col} > {g1} THEN 1 ELSE 0 END)"

    def restrict_to_blocks_of(rids_sql: str | None = None) -> None:
        """`er_blocking_rel`: every member of every block a changed record was or is in (and, with
        `rids_sql`, every block a record of `rids_sql` is in), and `er_block_sizes` for those blocks
        only. The steps below never look at another block, so their result is the same as over the
        whole index, at the cost of the blocks the batch touches rather than of the index."""
        more = (f"UNION SELECT b.blocking_type, b.blocking_key FROM er_blocking b JOIN ({rids_sql}) x ON x.rid = b.rid"
                if rids_sql else "")
        engine.materialise("er_rel_keys", f"SELECT blocking_type, blocking_key FROM er_dirty_blocks {more}")
        engine.materialise("er_blocking_rel", """
            SELECT b.rid, b.blocking_type, b.blocking_key FROM er_blocking b
            JOIN er_rel_keys k ON k.blocking_type = b.blocking_type AND k.blocking_key = b.blocking_key""")
        engine.materialise("er_block_sizes", method_sql("BLOCK_SIZES", blocking="er_blocking_rel"))

    if first_run:
        engine.materialise("er_block_sizes", method_sql("BLOCK_SIZES", blocking="er_blocking"))
        engine.materialise("er_focus_rids", "SELECT rid FROM er_changed_in")
        engine.materialise("er_focus_pairs", "SELECT rid AS rid_l, rid AS rid_r FROM er_changed_in WHERE 1 = 0")
        engine.materialise("er_pairs", method_sql("CANDIDATE_PAIRS_ALL", **guards))
    else:
        engine.materialise("er_focus_rids", "SELECT rid FROM er_changed_in")
        # the blocks a changed record was in or is now in: the only ones whose pairs may change
        engine.materialise("er_dirty_blocks", """
            SELECT DISTINCT s.blocking_type, s.blocking_key FROM er_state_blocking s JOIN er_changed_in c ON c.rid = s.rid
            UNION SELECT DISTINCT blocking_type, blocking_key FROM er_batch_keys""")
        restrict_to_blocks_of()  # a changed record's current blocks are among the dirty ones
        engine.materialise("er_name_owners", method_sql("NAME_OWNERS", blocking="er_blocking_rel", records="er_records"))
        engine.materialise("er_name_owners_was", method_sql(
            "NAME_OWNERS", records="er_state_records", blocking="""(SELECT s.* FROM er_state_blocking s JOIN er_dirty_blocks d
            ON d.blocking_type = s.blocking_type AND d.blocking_key = s.blocking_key WHERE s.blocking_type = 'name')"""))
        # blocks of changed records whose size crossed a guard: every pair inside is re-decided
        engine.materialise("er_flipped_blocks", f"""
            WITH sizes AS (
              SELECT d.blocking_type, d.blocking_key, coalesce(o.n, 0) AS was, coalesce(n.n, 0) AS now
              FROM er_dirty_blocks d
              LEFT JOIN (SELECT s.blocking_type, s.blocking_key, count(*) AS n FROM er_state_blocking s
                         JOIN er_dirty_blocks d2 ON d2.blocking_type = s.blocking_type AND d2.blocking_key = s.blocking_key
                         GROUP BY s.blocking_type, s.blocking_key) o
                ON o.blocking_type = d.blocking_type AND o.blocking_key = d.blocking_key
              LEFT JOIN er_block_sizes n ON n.blocking_type = d.blocking_type AND n.blocking_key = d.blocking_key)
            SELECT blocking_type, blocking_key FROM sizes
            WHERE {klass('was')} <> {klass('now')}
              -- a mailbox or phone block that gained or lost a record may have become shared or stopped
              -- being so (SHARED_KEYS): its pairs are re-decided too (such blocks hold a few records)
              OR (blocking_type IN ('email', 'phone') AND now BETWEEN 1 AND {g1})
              UNION
              -- a name block whose number of mailboxes went to or from two: its name stopped or
              -- started being one only two mailboxes carry (full_name = 'unique')
              SELECT d.blocking_type, d.blocking_key FROM er_dirty_blocks d
              LEFT JOIN er_name_owners_was o ON o.blocking_key = d.blocking_key
              LEFT JOIN er_name_owners n ON n.blocking_key = d.blocking_key
              WHERE d.blocking_type = 'name' AND (coalesce(o.owners, 0) = 2) <> (coalesce(n.owners, 0) = 2)""")
        engine.materialise("er_focus_pairs", """
            WITH m AS (  -- the flipped blocks' members, now and before (each side joined first: small)
              SELECT b.rid, b.blocking_type, b.blocking_key FROM er_blocking_rel b
              JOIN er_flipped_blocks f ON f.blocking_type = b.blocking_type AND f.blocking_key = b.blocking_key
              UNION
              SELECT s.rid, s.blocking_type, s.blocking_key FROM er_state_blocking s
              JOIN er_flipped_blocks f ON f.blocking_type = s.blocking_type AND f.blocking_key = s.blocking_key)
            SELECT DISTINCT l.rid AS rid_l, r.rid AS rid_r FROM m l
            JOIN m r ON l.blocking_type = r.blocking_type AND l.blocking_key = r.blocking_key AND l.rid < r.rid""")
        # pairs inside a flipped block are compared on every block they share: add those blocks
        restrict_to_blocks_of("SELECT rid_l AS rid FROM er_focus_pairs UNION SELECT rid_r FROM er_focus_pairs")
        # scoring reads the size and sharing of a mailbox, phone or national id block only when both
        # sides are in it: a block of a changed record, or of a pair re-decided inside a flipped block
        engine.materialise("er_pairs", method_sql("CANDIDATE_PAIRS_FOCUS", blocking="er_blocking_rel", **guards))
    pairs = engine.rows("SELECT count(*) AS n FROM er_pairs")[0]["n"]
    say(f"blocking: {pairs} candidate pairs")
    tick = phase("blocking", tick)

    # ---- scoring ---------------------------------------------------------------------------------
    engine.materialise("er_shared_keys", method_sql("SHARED_KEYS", max_key_frequency=params.max_key_frequency,
                                                    blocking="er_blocking" if first_run else "er_blocking_rel"))
    engine.materialise("er_name_owners", method_sql("NAME_OWNERS", records="er_records",
                                                    blocking="er_blocking" if first_run else "er_blocking_rel"))
    engine.materialise("er_levels", method_sql("COMPARISON_LEVELS", max_key_frequency=params.max_key_frequency,
                                               role_mailboxes=", ".join(_lit(m) for m in ROLE_MAILBOXES),
                                               consumer_mail=", ".join(_lit(d) for d in CONSUMER_MAIL)))
    engine.materialise("er_new_links", score_sql(params) + f" WHERE match_weight >= {params.threshold_weight:.6f}")
    above = engine.rows("SELECT count(*) AS n FROM er_new_links")[0]["n"]
    say(f"scoring: {above} links at match probability >= {params.threshold}")
    if first_run:
        engine.materialise("er_removed_links", "SELECT rid_l, rid_r FROM er_new_links WHERE 1 = 0")
        engine.materialise("er_links", "SELECT * FROM er_new_links")
    else:
        engine.materialise("er_removed_links", """
            SELECT s.rid_l, s.rid_r FROM er_state_links s
            LEFT JOIN er_changed_in a ON a.rid = s.rid_l
            LEFT JOIN er_changed_in b ON b.rid = s.rid_r
            LEFT JOIN er_focus_pairs f ON f.rid_l = s.rid_l AND f.rid_r = s.rid_r
            WHERE a.rid IS NOT NULL OR b.rid IS NOT NULL OR f.rid_l IS NOT NULL""")
        engine.materialise("er_links", """
            SELECT s.* FROM er_state_links s
            LEFT JOIN er_removed_links x ON x.rid_l = s.rid_l AND x.rid_r = s.rid_r WHERE x.rid_l IS NULL
            UNION ALL SELECT * FROM er_new_links""")
    tick = phase("scoring", tick)

    # ---- clustering ------------------------------------------------------------------------------
    if first_run:
        engine.materialise("er_affected", "SELECT rid, entity_id FROM er_records")
    else:
        engine.materialise("er_touched", """
            SELECT rid FROM er_changed_in
            UNION SELECT rid_l FROM er_removed_links UNION SELECT rid_r FROM er_removed_links
            UNION SELECT rid_l FROM er_new_links UNION SELECT rid_r FROM er_new_links""")
        engine.materialise("er_affected", """
            SELECT r.rid, r.entity_id FROM er_records r
            LEFT JOIN er_touched t ON t.rid = r.rid
            LEFT JOIN (SELECT DISTINCT r2.entity_id FROM er_records r2 JOIN er_touched t2 ON t2.rid = r2.rid
                       WHERE r2.entity_id IS NOT NULL) e ON e.entity_id = r.entity_id
            WHERE t.rid IS NOT NULL OR e.entity_id IS NOT NULL""")
    engine.materialise("er_edges", """
        SELECT a, b, w FROM (
          SELECT l.rid_l AS a, l.rid_r AS b, l.match_weight AS w FROM er_links l
          UNION ALL SELECT l.rid_r AS a, l.rid_l AS b, l.match_weight AS w FROM er_links l) e
        JOIN er_affected x ON x.rid = e.a""")
    engine.materialise("er_labels", "SELECT rid, rid AS cid FROM er_affected")
    for step in range(1, 200):
        engine.materialise("er_labels_next", method_sql("PROPAGATE_LABELS"))
        moved = engine.rows("""SELECT count(*) AS n FROM er_labels_next n JOIN er_labels o ON o.rid = n.rid
                               WHERE o.cid <> n.cid""")[0]["n"]
        engine.materialise("er_labels", "SELECT * FROM er_labels_next")
        if moved == 0:
            break
    affected = engine.rows("SELECT count(*) AS n, count(DISTINCT cid) AS c FROM er_labels")[0]
    split = _split_oversized(engine, params)
    say(f"clustering: {affected['n']} records re-clustered in {step} steps, {split} oversized clusters split")
    tick = phase("clustering", tick)

    # ---- stable ids ------------------------------------------------------------------------------
    engine.materialise("er_prev", "SELECT rid, entity_id FROM er_affected")
    engine.materialise("er_claims", method_sql("CLAIMS"))
    if first_run:
        engine.materialise("er_taken_ids", "SELECT entity_id FROM er_claims WHERE 1 = 0")
    else:
        engine.materialise("er_taken_ids", """
            SELECT entity_id FROM er_records WHERE entity_id IS NOT NULL
            UNION SELECT alias_id AS entity_id FROM er_state_aliases""")
    engine.materialise("er_assign", method_sql("ENTITY_IDS", run_id=run_id))
    engine.materialise("er_confidence", """
        SELECT x.rid, max(e.w) AS w FROM er_edges e
        JOIN er_clusters x ON x.rid = e.a JOIN er_clusters y ON y.rid = e.b AND y.cid = x.cid
        GROUP BY x.rid""")
    engine.materialise("er_changed", """
        SELECT a.rid, a.entity_id, 1.0 / (1.0 + power(2.0, -c.w)) AS match_confidence
        FROM er_assign a LEFT JOIN er_confidence c ON c.rid = a.rid""")
    engine.materialise("er_records", """
        SELECT r.rid, r.source, r.source_id, r.first_name, r.first_name_canon, r.last_name, r.email, r.phone,
               r.street_number, r.street, r.address_2, r.city, r.state, r.postcode, r.dob, r.national_id,
               r.record_hash, coalesce(c.entity_id, r.entity_id) AS entity_id,
               CASE WHEN c.rid IS NOT NULL THEN c.match_confidence ELSE r.match_confidence END AS match_confidence,
               r.first_seen_at, r.updated_at
        FROM er_records_base r LEFT JOIN er_changed c ON c.rid = r.rid""")
    # a merged entity id becomes an alias of the id that survived it; earlier aliases follow along
    engine.materialise("er_new_aliases", f"""
        SELECT DISTINCT k.entity_id AS alias_id, a.entity_id, CAST('{now}' AS TIMESTAMP) AS merged_at
        FROM er_claims k JOIN er_assign a ON a.cid = k.cid
        WHERE NOT k.kept""")
    if first_run:
        engine.materialise("er_aliases", "SELECT * FROM er_new_aliases")
    else:
        engine.materialise("er_aliases", """
            SELECT s.alias_id, coalesce(n.entity_id, s.entity_id) AS entity_id, s.merged_at
            FROM er_state_aliases s
            LEFT JOIN er_new_aliases n ON n.alias_id = s.entity_id
            LEFT JOIN (SELECT DISTINCT entity_id FROM er_assign) live ON live.entity_id = s.alias_id
            WHERE live.entity_id IS NULL
            UNION ALL SELECT * FROM er_new_aliases""")
    merges = engine.rows("SELECT count(*) AS n FROM er_new_aliases")[0]["n"]
    links_total = engine.rows("SELECT count(*) AS n FROM er_links")[0]["n"]
    ent = engine.rows("""SELECT count(*) AS entities, max(n) AS largest FROM
                         (SELECT entity_id, count(*) AS n FROM er_records GROUP BY entity_id) t""")[0]
    phase("ids", tick)
    result = RunResult(records=total, changed=changed, candidate_pairs=pairs, links_scored_above=above,
                       links_total=links_total, clusters_recomputed=affected["c"], entities=ent["entities"],
                       largest_entity=ent["largest"] or 0, split_clusters=split, merges=merges,
                       seconds=round(time.monotonic() - t0, 3), phases=phases)
    say(f"{result.entities} entities (largest {result.largest_entity}), {merges} merges, in {result.seconds:.1f}s")
    return result


def _split_oversized(engine: Engine, params: Params) -> int:
    """Writes `er_clusters` (rid, cid): the components, with any larger than `max_cluster_size`
    rebuilt from its links strongest first, a link joining only clusters whose union fits."""
    big = engine.rows(f"""SELECT cid, count(*) AS n FROM er_labels GROUP BY cid
                          HAVING count(*) > {params.max_cluster_size}""")
    if not big:
        engine.materialise("er_clusters", "SELECT rid, cid FROM er_labels")
        return 0
    engine.load_rows("er_big", [{"cid": r["cid"]} for r in big], {"cid": "string"})
    members = engine.rows("SELECT l.rid, l.cid FROM er_labels l JOIN er_big b ON b.cid = l.cid")
    edges = engine.rows("""SELECT e.a, e.b, e.w FROM er_edges e JOIN er_labels l ON l.rid = e.a
                           JOIN er_big b ON b.cid = l.cid WHERE e.a < e.b""")
    parent = {m["rid"]: m["rid"] for m in members}
    size = dict.fromkeys(parent, 1)

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in sorted(edges, key=lambda e: (-e["w"], e["a"], e["b"])):
        ra, rb = find(e["a"]), find(e["b"])
        if ra != rb and size[ra] + size[rb] <= params.max_cluster_size:
            ra, rb = min(ra, rb), max(ra, rb)
            parent[rb] = ra
            size[ra] += size[rb]
    groups: dict[str, list[str]] = {}
    for rid in parent:
        groups.setdefault(find(rid), []).append(rid)
    rows = [{"rid": rid, "cid": min(g)} for g in groups.values() for rid in g]
    engine.load_rows("er_split", rows, {"rid": "string", "cid": "string"})
    engine.materialise("er_clusters", """
        SELECT l.rid, coalesce(s.cid, l.cid) AS cid FROM er_labels l LEFT JOIN er_split s ON s.rid = l.rid""")
    log.warning("anti-chaining: %d clusters above %d records split into %d", len(big), params.max_cluster_size,
                len(groups))
    return len(big)
