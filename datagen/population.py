"""One population of people and companies behind every source, with ground truth.

A `Person` is the truth. Each source knows a person through one or more `Account`s, each an
`Identity` rendered from the person with the variation real systems show: email case, Gmail dots
and plus-aliases, work versus personal email, phone formats, nicknames, typos, an old address after
a move, missing fields, household and company mailboxes shared by several people. Some different
people look alike (same name, same town). Entity resolution is scored against `Account.person_id`.

Faker is slow per call, so it fills small pools once; everything after is `random.Random` picks.
"""

from __future__ import annotations

import functools
import logging
import random
from dataclasses import dataclass, field

from faker import Faker

log = logging.getLogger(__name__)

SOURCES = ("shopify", "stripe", "hubspot")

NICKNAMES = {
    "Robert": "Bob",
    "William": "Bill",
    "Richard": "Rick",
    "James": "Jim",
    "Michael": "Mike",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "Jennifer": "Jen",
    "Christopher": "Chris",
    "Thomas": "Tom",
    "Daniel": "Dan",
    "Matthew": "Matt",
    "Joseph": "Joe",
    "Margaret": "Maggie",
    "Patricia": "Pat",
    "Anthony": "Tony",
    "Samantha": "Sam",
    "Alexander": "Alex",
    "Rebecca": "Becky",
    "Jessica": "Jess",
    "Nicholas": "Nick",
    "Benjamin": "Ben",
    "Jonathan": "Jon",
    "Steven": "Steve",
    "Andrew": "Andy",
    "Edward": "Ed",
    "Victoria": "Vicky",
    "Kimberly": "Kim",
    "Deborah": "Deb",
    "Susan": "Sue",
    "Timothy": "Tim",
    "Gregory": "Greg",
    "Kenneth": "Ken",
    "Ronald": "Ron",
}
FREE_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "proton.me",
    "aol.com",
)


@dataclass(slots=True)
class Address:
    address1: str
    city: str
    province: str
    province_code: str
    zip: str
    country: str = "United States"
    country_code: str = "US"


@dataclass(slots=True)
class Company:
    company_id: str
    name: str
    domain: str
    industry: str
    city: str
    state: str
    employees: int
    address: Address


@dataclass(slots=True)
class Person:
    person_id: str
    first_name: str
    last_name: str
    email: str  # the person's own canonical mailbox
    phone: str  # 10 digits, US
    address: Address
    previous_address: Address | None = None  # moved: some systems still hold this one
    company: Company | None = None
    work_email: str | None = None
    household_id: str | None = None
    shared_email: str | None = None  # a household or company mailbox several people use
    #: with a shared mailbox: whether it is the one this person gives merchants (decided once, see render)
    shops_with_shared: bool | None = None
    lookalike_of: str | None = None  # a different person this one resembles on purpose
    sources: tuple[str, ...] = ()


@dataclass(slots=True)
class Identity:
    """How one source sees a person: any field may be varied or missing."""

    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    address: Address | None


@dataclass(slots=True)
class Account:
    """A person's record in one source (a Shopify customer, a Stripe customer, a HubSpot contact)."""

    source: str
    person: Person
    identity: Identity
    index: int  # position in the source's account list; ids derive from it
    created: bool = False  # its creation event was emitted
    extra: dict = field(default_factory=dict)

    @property
    def person_id(self) -> str:
        return self.person.person_id


@dataclass
class PopulationConfig:
    """Sizes, cross-source overlap and variation rates (probabilities per account unless stated)."""

    people: int = 5000
    companies: int = 400
    #: probability that a person has an account in each source (overlap follows from these)
    p_source: dict[str, float] = field(
        default_factory=lambda: {"shopify": 0.75, "stripe": 0.55, "hubspot": 0.45}
    )
    p_second_account: float = 0.04  # a second account in the same source (guest checkout, re-signup)
    p_household: float = 0.06  # a new person joins an existing person's household
    p_lookalike: float = 0.03  # a new person has the same name as an existing, different one
    p_moved: float = 0.08
    p_employed: float = 0.5
    p_email_case: float = 0.08
    p_gmail_dots: float = 0.3  # of gmail addresses
    p_plus_alias: float = 0.05
    p_work_email: float = 0.5  # HubSpot contacts of employed people use their work address
    p_shared_email: float = 0.5  # of household / company members: use the shared mailbox
    #: a person with two mailboxes (their own and a household/company one) gives one merchant the same
    #: mailbox everywhere: the shop's checkout, the Stripe customer the merchant creates from it (Stripe
    #: customers of a shop carry the shop account's email) and the CRM's shop sync. Which one is
    #: decided once per person (p_shared_email * 0.5 for the shared one); each account departs from
    #: that choice with this probability (an account opened elsewhere, a mailbox typed from memory).
    #: An assumption, not a measured rate: until 2026-11-23 every account drew its mailbox on its own,
    #: which made 37.5 % of such a person's account pairs disagree on the mailbox.
    p_mailbox_switch: float = 0.1
    p_nickname: float = 0.15
    p_typo: float = 0.03
    p_missing_phone: float = 0.3
    p_missing_name: float = 0.1
    p_missing_address: float = 0.15

    def __post_init__(self) -> None:
        for src in self.p_source:
            if src not in SOURCES:
                raise ValueError(f"unknown source {src!r} in p_source; use one of {', '.join(SOURCES)}")

    @classmethod
    def scaled(cls, scale: float, **overrides: object) -> PopulationConfig:
        return cls(people=max(50, int(5000 * scale)), companies=max(10, int(400 * scale)), **overrides)


class Pools:
    """Names, streets and places drawn once from Faker (seeded), then picked with `random`."""

    def __init__(self, seed: int, size: int = 1500) -> None:
        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.first_names = sorted({fake.first_name() for _ in range(size)} | set(NICKNAMES))
        self.last_names = sorted({fake.last_name() for _ in range(size)})
        self.streets = [fake.street_address() for _ in range(size)]
        self.places = []
        for _ in range(size // 3):
            state_code = fake.state_abbr(include_territories=False)
            self.places.append(
                (
                    fake.city(),
                    _STATE_NAMES.get(state_code, state_code),
                    state_code,
                    fake.zipcode_in_state(state_code),
                )
            )
        self.company_names = sorted({fake.company() for _ in range(size)})
        self.industries = [
            "COMPUTER_SOFTWARE",
            "RETAIL",
            "MARKETING_AND_ADVERTISING",
            "FINANCIAL_SERVICES",
            "HOSPITAL_HEALTH_CARE",
            "CONSUMER_GOODS",
            "EDUCATION_MANAGEMENT",
            "APPAREL_FASHION",
        ]
        self.product_words = sorted({fake.word().capitalize() for _ in range(size // 2)})
        self.ipv4 = [fake.ipv4_public() for _ in range(500)]
        self.user_agents = [fake.user_agent() for _ in range(100)]

    @staticmethod
    @functools.lru_cache(maxsize=4)
    def for_seed(seed: int) -> Pools:
        """Pools are read-only after construction: share them between runs of the same seed."""
        return Pools(seed)


class Population:
    """The people and companies, and every source account that refers to them."""

    def __init__(self, config: PopulationConfig, seed: int, pools: Pools | None = None) -> None:
        self.config = config
        self.rng = random.Random(f"population:{seed}")
        # per-person mailbox choice: its own stream, so the draws of everything else stay as they were
        self._mailbox_rng = random.Random(f"mailbox:{seed}")
        self.pools = pools or Pools.for_seed(seed)
        self._emails: set[str] = set()
        self._gmail_keys: set[str] = set()
        self.companies: list[Company] = [self._company(i) for i in range(config.companies)]
        self.people: list[Person] = []
        self.accounts: dict[str, list[Account]] = {s: [] for s in SOURCES}
        for i in range(config.people):
            self.people.append(self._person(i))
        for person in self.people:
            self._open_accounts(person)
        log.debug(
            "population: %d people, %s accounts",
            len(self.people),
            {s: len(a) for s, a in self.accounts.items()},
        )

    # ---- people and companies -------------------------------------------------------------------

    def _address(self) -> Address:
        city, state, code, zip_ = self.rng.choice(self.pools.places)
        return Address(self.rng.choice(self.pools.streets), city, state, code, zip_)

    def _company(self, i: int) -> Company:
        name = self.pools.company_names[i % len(self.pools.company_names)]
        slug = "".join(c for c in name.lower().split(",")[0].split(" and ")[0] if c.isalnum())[:18] or "co"
        domain = f"{slug}{i if i >= len(self.pools.company_names) else ''}.com"
        addr = self._address()
        return Company(
            f"C{i:07d}",
            name,
            domain,
            self.rng.choice(self.pools.industries),
            addr.city,
            addr.province,
            self.rng.choice((8, 25, 60, 150, 400, 1200, 5000)),
            addr,
        )

    def _phone(self) -> str:
        return f"{self.rng.randint(201, 989)}{self.rng.randint(200, 999)}{self.rng.randint(0, 9999):04d}"

    def _email(self, first: str, last: str, domain: str | None = None) -> str:
        r = self.rng
        f, l_ = _ascii(first), _ascii(last)
        local = r.choice(
            (f"{f}.{l_}", f"{f}{l_}", f"{f[0]}{l_}", f"{f}.{l_}{r.randint(1, 99)}", f"{f}_{l_}", f"{l_}.{f}")
        )
        domain = domain or r.choice(FREE_DOMAINS)
        email = f"{local}@{domain}"
        # a mailbox belongs to one person: two people never get the same address by accident
        while email in self._emails or (domain == "gmail.com" and email.replace(".", "") in self._gmail_keys):
            email = f"{local}{r.randint(1, 9999)}@{domain}"
        self._emails.add(email)
        if domain == "gmail.com":
            self._gmail_keys.add(email.replace(".", ""))
        return email

    def _person(self, i: int) -> Person:
        r, cfg = self.rng, self.config
        pid = f"P{i:08d}"
        existing = self.people
        if existing and r.random() < cfg.p_household:
            head = r.choice(existing)
            first = r.choice(self.pools.first_names)
            p = Person(
                pid,
                first,
                head.last_name,
                self._email(first, head.last_name),
                self._phone(),
                head.address,
                household_id=head.household_id or head.person_id,
            )
            head.household_id = p.household_id
            shared = head.shared_email or f"the{_ascii(head.last_name)}s@{r.choice(FREE_DOMAINS)}"
            head.shared_email = p.shared_email = shared
        elif existing and r.random() < cfg.p_lookalike:
            twin = r.choice(existing)
            # same name (and often the same town), but another person: must NOT be merged
            addr = self._address()
            if r.random() < 0.5:
                addr = Address(
                    r.choice(self.pools.streets),
                    twin.address.city,
                    twin.address.province,
                    twin.address.province_code,
                    twin.address.zip,
                )
            p = Person(
                pid,
                twin.first_name,
                twin.last_name,
                self._email(twin.first_name, twin.last_name),
                self._phone(),
                addr,
                lookalike_of=twin.person_id,
            )
        else:
            first, last = r.choice(self.pools.first_names), r.choice(self.pools.last_names)
            p = Person(pid, first, last, self._email(first, last), self._phone(), self._address())
        if r.random() < cfg.p_moved:
            p.previous_address = self._address()
        if self.companies and r.random() < cfg.p_employed:
            p.company = r.choice(self.companies)
            p.work_email = f"{_ascii(p.first_name)}.{_ascii(p.last_name)}@{p.company.domain}"
            if p.shared_email is None and r.random() < 0.1:
                p.shared_email = f"info@{p.company.domain}"
        return p

    # ---- accounts -------------------------------------------------------------------------------

    def _open_accounts(self, person: Person) -> None:
        r, cfg = self.rng, self.config
        sources = [s for s in SOURCES if r.random() < cfg.p_source.get(s, 0.0)]
        if not sources:
            sources = [r.choice(SOURCES)]
        person.sources = tuple(sources)
        for src in sources:
            for _ in range(2 if r.random() < cfg.p_second_account else 1):
                accounts = self.accounts[src]
                accounts.append(Account(src, person, self.render(person, src), len(accounts)))

    def render(self, person: Person, source: str) -> Identity:
        """One source's view of a person, with the configured variation applied."""
        r, cfg = self.rng, self.config
        # email: which mailbox, then how it is written
        email = person.email
        work = source == "hubspot" and person.work_email and r.random() < cfg.p_work_email
        if person.shared_email:
            # the mailbox this person gives merchants (see p_mailbox_switch); a CRM contact that came
            # in through a work form keeps the work address
            if person.shops_with_shared is None:
                person.shops_with_shared = self._mailbox_rng.random() < cfg.p_shared_email * 0.5
            if (r.random() < cfg.p_mailbox_switch) != person.shops_with_shared and not work:
                email = person.shared_email
        if work:
            email = person.work_email
        local, _, domain = email.partition("@")
        if domain == "gmail.com" and r.random() < cfg.p_gmail_dots:
            local = local.replace(".", "") if "." in local else f"{local[:2]}.{local[2:]}"
        if r.random() < cfg.p_plus_alias:
            local = f"{local}+{r.choice(('shop', 'news', source, 'promo', str(r.randint(1, 9))))}"
        email = f"{local}@{domain}"
        if r.random() < cfg.p_email_case:
            email = email.upper() if r.random() < 0.3 else email.title()
        # names
        first, last = person.first_name, person.last_name
        if first in NICKNAMES and r.random() < cfg.p_nickname:
            first = NICKNAMES[first]
        if r.random() < cfg.p_typo:
            if r.random() < 0.5:
                last = _typo(r, last)
            else:
                first = _typo(r, first)
        if r.random() < cfg.p_missing_name:
            first = last = None
        phone = None if r.random() < cfg.p_missing_phone else format_phone(r, person.phone)
        address = person.address
        if person.previous_address is not None and r.random() < 0.5:
            address = person.previous_address
        if r.random() < cfg.p_missing_address:
            address = None
        return Identity(first, last, email, phone, address)

    def ground_truth_people(self) -> list[dict]:
        return [
            {
                "person_id": p.person_id,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "email": p.email,
                "phone": p.phone,
                "household_id": p.household_id,
                "company_id": p.company.company_id if p.company else None,
                "lookalike_of": p.lookalike_of,
                "sources": list(p.sources),
            }
            for p in self.people
        ]


def format_phone(r: random.Random, digits: str) -> str:
    """The same US number written the ways systems store it."""
    a, b, c = digits[:3], digits[3:6], digits[6:]
    k = r.randrange(6)
    return (f"+1{digits}", f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", digits, f"+1 {a} {b} {c}")[k]


def _typo(r: random.Random, s: str) -> str:
    if len(s) < 4:
        return s
    i = r.randrange(1, len(s) - 1)
    k = r.randrange(3)
    if k == 0:  # swap two neighbours
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    if k == 1:  # drop one letter
        return s[:i] + s[i + 1 :]
    return s[:i] + s[i] + s[i:]  # double one letter


def _ascii(s: str) -> str:
    return "".join(c for c in s.lower() if c.isascii() and c.isalnum()) or "x"


_STATE_NAMES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "DC": "District of Columbia",
}
