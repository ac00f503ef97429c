"""Scenarios: traffic over simulated time, entity lifecycles, and delivery faults.

A `Generator` draws journeys (a shopper's order, a card payment, a subscription, a CRM lead or deal)
as a non-homogeneous Poisson-like process over the scenario's hours. Each journey schedules the
events of its lifecycle (order paid -> fulfilled -> refunded; contact subscriber -> lead -> customer;
dispute created -> updated -> closed) and a delivery time for each, with duplicates, out-of-order
and late deliveries injected at the configured rates. Events come out in delivery order from a heap,
so memory follows the pending lifecycle events, not the run length. Bodies of Shopify and Stripe
events are serialised when scheduled (bytes are far smaller than dicts).

Same scenario, scale and seed: byte-identical output.
"""

from __future__ import annotations

import heapq
import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from icefloe.datagen import hubspot as hs
from icefloe.datagen import shopify as sh
from icefloe.datagen import stripe as st
from icefloe.datagen.common import Event, StripeIds
from icefloe.datagen.population import Account, Person, Population, PopulationConfig

log = logging.getLogger(__name__)

HOUR = 3600.0
DAY = 86400.0
JOURNEYS = ("shop_order", "card_payment", "subscription", "crm_lead", "crm_deal")
#: provider topic -> icefloe topic; every type generated here must be routed by sources.yaml
TOPIC_OF = {
    **{
        t: "shopify.orders"
        for t in ("orders/create", "orders/updated", "orders/paid", "orders/fulfilled", "orders/cancelled")
    },
    "customers/create": "shopify.customers",
    "customers/update": "shopify.customers",
    "products/create": "shopify.products",
    "products/update": "shopify.products",
    "customer.created": "stripe.customers",
    "customer.updated": "stripe.customers",
    **{t: "stripe.charges" for t in ("charge.succeeded", "charge.failed", "charge.refunded")},
    **{
        t: "stripe.payment_intents"
        for t in ("payment_intent.created", "payment_intent.succeeded", "payment_intent.payment_failed")
    },
    "refund.created": "stripe.refunds",
    **{
        t: "stripe.disputes"
        for t in ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed")
    },
    **{
        t: "stripe.subscriptions"
        for t in (
            "customer.subscription.created",
            "customer.subscription.updated",
            "customer.subscription.deleted",
        )
    },
    **{
        f"{k}.{a}": f"hubspot.{k if k != 'company' else 'compan'}{'ies' if k == 'company' else 's'}"
        for k in ("contact", "company", "deal", "engagement")
        for a in ("creation", "propertyChange", "deletion")
    },
}


@dataclass
class FaultConfig:
    """Delivery faults, as fractions of deliveries."""

    duplicate_rate: float = 0.01  # delivered twice (same delivery id; a provider retry after a lost ack)
    out_of_order_rate: float = 0.02  # held back long enough that later changes of the object overtake it
    late_rate: float = 0.005  # delivered minutes to hours after it happened
    late_max_s: float = 6 * HOUR

    def __post_init__(self) -> None:
        for name in ("duplicate_rate", "out_of_order_rate", "late_rate"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(
                    f"{name} must be between 0 and 1 (got {v}); e.g. --{name.replace('_', '-')} 0.01"
                )


@dataclass
class Spike:
    start_h: float
    end_h: float
    multiplier: float
    journeys: tuple[str, ...] = ("shop_order",)


@dataclass
class Scenario:
    name: str
    description: str
    hours: float = 24.0
    journeys_per_hour: float = 1000.0  # at scale 1, before the daily curve
    mix: dict[str, float] = field(
        default_factory=lambda: {
            "shop_order": 0.45,
            "card_payment": 0.25,
            "subscription": 0.05,
            "crm_lead": 0.17,
            "crm_deal": 0.08,
        }
    )
    spikes: list[Spike] = field(default_factory=list)
    discount_code: str | None = None  # applied to orders inside spikes
    discount_pct: int = 0
    fraud_window_h: tuple[float, float] | None = None
    fraud_charges_per_hour: float = 0.0
    promotion_at_h: float | None = None


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("normal_day", "A day of ordinary traffic with a daily curve."),
        Scenario(
            "flash_sale",
            "A one-hour sale at noon: 12x orders with FLASH30, inventory drains.",
            spikes=[Spike(12.0, 13.0, 12.0)],
            discount_code="FLASH30",
            discount_pct=30,
        ),
        Scenario(
            "fraud_attack",
            "Card testing 02:00-04:00: bursts of small charges, most blocked, "
            "high Radar risk, disputes after.",
            fraud_window_h=(2.0, 4.0),
            fraud_charges_per_hour=3000.0,
        ),
        Scenario(
            "promotion_blast",
            "A HubSpot email blast at 09:00: opens, clicks, lifecycle moves, then " "PROMO15 orders.",
            promotion_at_h=9.0,
            spikes=[Spike(9.25, 15.0, 3.0)],
            discount_code="PROMO15",
            discount_pct=15,
        ),
    )
}


def _diurnal(hour_of_day: float) -> float:
    """Relative traffic by hour of day (night trough, evening peak), mean about 1."""
    curve = (
        0.35,
        0.25,
        0.2,
        0.18,
        0.2,
        0.3,
        0.5,
        0.8,
        1.0,
        1.15,
        1.25,
        1.3,
        1.35,
        1.3,
        1.25,
        1.2,
        1.25,
        1.35,
        1.5,
        1.6,
        1.55,
        1.35,
        1.0,
        0.6,
    )
    return curve[int(hour_of_day) % 24]


@dataclass
class ShopCustomer:
    body: dict
    orders: int = 0


class Generator:
    """Events of one scenario run, in delivery order, plus the ground truth of every record."""

    def __init__(
        self,
        scenario: str | Scenario = "normal_day",
        scale: float = 1.0,
        seed: int = 7,
        faults: FaultConfig | None = None,
        population: PopulationConfig | None = None,
        start: datetime | None = None,
        on_truth: Callable[[dict], None] | None = None,
    ) -> None:
        if isinstance(scenario, str):
            if scenario not in SCENARIOS:
                raise ValueError(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}")
            scenario = SCENARIOS[scenario]
        if scale <= 0:
            raise ValueError(f"scale must be positive (got {scale}); e.g. --scale 1")
        self.scenario = scenario
        self.scale = scale
        self.seed = seed
        self.faults = faults or FaultConfig()
        self.start = (start or datetime(2026, 11, 2, tzinfo=UTC)).timestamp()
        self.end = self.start + scenario.hours * HOUR
        self.horizon = self.end + 2 * DAY  # lifecycle events past this are not generated
        self.rng = random.Random(f"events:{seed}:{scenario.name}")
        self._fault_rng = random.Random(f"faults:{seed}")
        self.pop = Population(population or PopulationConfig.scaled(scale), seed)
        self.on_truth = on_truth or (lambda row: None)
        self.sids = StripeIds(random.Random(f"stripe:{seed}"))
        self.shop_ids = sh.ShopifyIds(seed)
        self.crm = hs.HubSpotCrm(seed)
        self._heap: list[tuple[float, int, Event]] = []
        self._seq = 0
        self._order_number = 0
        self.counts: dict[str, int] = {}
        # per-account state
        self._shop_customers: dict[int, ShopCustomer] = {}
        self._stripe_customers: dict[int, str] = {}
        self._contacts: dict[str, hs.CrmObject] = {}
        self._companies: dict[str, hs.CrmObject] = {}
        self.catalog: list[sh.Product] = []

    # ---- plumbing -----------------------------------------------------------------------------

    def _truth(
        self, source: str, obj: str, record_id: object, person: Person | None, company_id: str | None = None
    ) -> None:
        self.on_truth(
            {
                "source": source,
                "object": obj,
                "id": str(record_id),
                "person_id": person.person_id if person else None,
                "company_id": company_id
                or (person.company.company_id if person and person.company else None),
            }
        )

    def _emit(self, provider: str, ptopic: str, object_id: object, at: float, body, delivery_id: str) -> None:
        if at > self.horizon:
            return
        if provider != "hubspot" and not isinstance(body, bytes):
            body = orjson.dumps(body)
        ev = Event(provider, ptopic, TOPIC_OF[ptopic], str(object_id), delivery_id, at, body)
        r, f = self._fault_rng, self.faults
        x = r.random()
        if x < f.late_rate:
            ev.deliver_at, ev.fault = at + r.uniform(600.0, f.late_max_s), "late"
        elif x < f.late_rate + f.out_of_order_rate:
            ev.deliver_at, ev.fault = at + r.uniform(30.0, 900.0), "out_of_order"
        else:
            ev.deliver_at = at + r.uniform(0.05, 3.0)
        self._push(ev)
        if r.random() < f.duplicate_rate:
            body2 = body
            if provider == "hubspot":
                body2 = dict(body, attemptNumber=body["attemptNumber"] + 1)
            dup = Event(
                provider,
                ptopic,
                ev.topic,
                ev.object_id,
                delivery_id,
                at,
                body2,
                ev.deliver_at + r.uniform(5.0, 600.0),
                "duplicate",
            )
            self._push(dup)

    def _push(self, ev: Event) -> None:
        self._seq += 1
        ev.seq = self._seq
        heapq.heappush(self._heap, (ev.deliver_at, self._seq, ev))

    def _shopify(self, ptopic: str, body: dict, at: float, raw: bytes | None = None) -> None:
        """`raw`: the body already serialised (two topics often carry the same body)."""
        self._emit("shopify", ptopic, body["id"], at, raw or body, f"{self.rng.getrandbits(128):032x}")

    def _stripe(self, type_: str, obj: dict, at: float) -> None:
        ev = st.event(self.sids, self.rng, type_, obj, at)
        self._emit("stripe", type_, obj["id"], at, ev, ev["id"])

    def _hubspot(self, events: list[dict]) -> None:
        for ev in events:
            self._emit(
                "hubspot",
                ev["subscriptionType"],
                ev["objectId"],
                ev["occurredAt"] / 1000.0,
                ev,
                str(ev["eventId"]),
            )

    # ---- the run ------------------------------------------------------------------------------

    def events(self) -> Iterator[Event]:
        """Every event of the run, in delivery order (a generator: nothing is kept once yielded)."""
        sc, r = self.scenario, self.rng
        self._setup_catalog()
        if sc.promotion_at_h is not None:
            self._promotion(self.start + sc.promotion_at_h * HOUR)
        hours = int(sc.hours + 0.999)
        for h in range(hours):
            h0 = self.start + h * HOUR
            arrivals: list[tuple[float, str]] = []
            base = sc.journeys_per_hour * self.scale * _diurnal(h)
            for j, w in sc.mix.items():
                lam = base * w
                for s in sc.spikes:
                    if s.start_h <= h + 0.5 < s.end_h and j in s.journeys:
                        lam *= s.multiplier
                arrivals.extend((h0 + r.random() * HOUR, j) for _ in range(_count(r, lam)))
            if sc.fraud_window_h and sc.fraud_window_h[0] <= h < sc.fraud_window_h[1]:
                arrivals.extend(
                    (h0 + r.random() * HOUR, "fraud_charge")
                    for _ in range(_count(r, sc.fraud_charges_per_hour * self.scale))
                )
            arrivals.sort()
            for at, journey in arrivals:
                if at >= self.end:
                    break
                yield from self._ready(at)
                getattr(self, f"_j_{journey}")(at, h)
        yield from self._ready(float("inf"))

    def _ready(self, until: float) -> Iterator[Event]:
        heap = self._heap
        while heap and heap[0][0] <= until:
            ev = heapq.heappop(heap)[2]
            self.counts[ev.topic] = self.counts.get(ev.topic, 0) + 1
            yield ev

    def _account(self, source: str) -> Account:
        accounts = self.pop.accounts[source]
        # a few regulars do much of the business (Zipf-like): square of a uniform skews to the front
        return accounts[int(self.rng.random() ** 2 * len(accounts))]

    # ---- Shopify ------------------------------------------------------------------------------

    def _setup_catalog(self) -> None:
        r = self.rng
        n = max(20, int(60 * self.scale**0.5))
        for i in range(n):
            at = self.start - DAY + i * 60.0
            p = sh.product(self.shop_ids, self.pop.pools, r, at)
            self.catalog.append(p)
            self._shopify("products/create", p.body, at)

    def _shop_customer(self, acct: Account, at: float) -> dict:
        c = self._shop_customers.get(acct.index)
        if c is None:
            body = sh.customer(self.shop_ids, acct, at)
            c = self._shop_customers[acct.index] = ShopCustomer(body)
            self._shopify("customers/create", body, at)
            self._truth("shopify", "customers", body["id"], acct.person)
        c.orders += 1
        if c.orders == 2 or (c.orders > 2 and self.rng.random() < 0.2):
            c.body = sh.customer(self.shop_ids, acct, self._iso_back(c.body), at, c.orders)
            self._shopify("customers/update", c.body, at + 1)
        return c.body

    @staticmethod
    def _iso_back(body: dict) -> float:
        return datetime.fromisoformat(body["created_at"]).timestamp()

    def _j_shop_order(self, at: float, hour: int, code: str | None = None, pct: int = 0) -> None:
        r, sc = self.rng, self.scenario
        acct = self._account("shopify")
        cust = self._shop_customer(acct, at)
        if code is None and sc.discount_code and any(s.start_h <= hour < s.end_h for s in sc.spikes):
            code, pct = sc.discount_code, sc.discount_pct
        elif code is None and r.random() < 0.08:
            code, pct = "WELCOME10", 10
        items = []
        for _ in range(1 if r.random() < 0.6 else r.randint(2, 4)):
            prod = self.catalog[int(r.random() ** 1.5 * len(self.catalog))]
            items.append((r.choice(prod.variants), prod, 1 if r.random() < 0.8 else r.randint(2, 3)))
        self._order_number += 1
        pending = r.random() < 0.15
        body = sh.order(
            self.shop_ids,
            r,
            self.pop.pools,
            self._order_number,
            acct,
            cust,
            items,
            at + 2,
            code,
            pct,
            "pending" if pending else "paid",
        )
        self._truth("shopify", "orders", body["id"], acct.person)
        raw = orjson.dumps(body)
        self._shopify("orders/create", body, at + 2, raw)
        t = at + 2
        if pending:
            t += r.uniform(30, 3 * HOUR)
            body = sh.paid(body, t)
            self._shopify("orders/paid", body, t)
        else:
            self._shopify("orders/paid", body, t + r.uniform(0.5, 5), raw)
        if r.random() < 0.03:
            t += r.uniform(300, 6 * HOUR)
            self._shopify("orders/cancelled", sh.cancelled(body, t), t)
            return
        if r.random() < 0.9:
            t += r.uniform(HOUR, 30 * HOUR)
            body = sh.fulfilled(body, t, self.shop_ids.next("fulfillment"), r)
            raw = orjson.dumps(body)
            self._shopify("orders/fulfilled", body, t, raw)
            self._shopify("orders/updated", body, t + 0.5, raw)
            if r.random() < 0.05:
                t += r.uniform(HOUR, 36 * HOUR)
                self._shopify("orders/updated", sh.refunded(body, t), t)
        if r.random() < 0.1 or (code and code == sc.discount_code and r.random() < 0.3):
            prod = items[0][1]
            self._shopify(
                "products/update",
                sh.product_update(prod, at + 5, r, sold={items[0][0].id: items[0][2]}),
                at + 5,
            )
        # shoppers known to the CRM move along the lifecycle
        contact = self._contacts.get(acct.person.person_id)
        if (
            contact is not None
            and contact.properties.get("lifecyclestage") != "customer"
            and r.random() < 0.5
        ):
            self._hubspot(self.crm.advance_lifecycle(contact, at + 60, r, "customer"))

    # ---- Stripe -------------------------------------------------------------------------------

    def _stripe_customer(self, acct: Account, at: float) -> str:
        cid = self._stripe_customers.get(acct.index)
        if cid is None:
            obj = st.customer(self.sids, acct, at)
            cid = self._stripe_customers[acct.index] = obj["id"]
            self._stripe("customer.created", obj, at)
            self._truth("stripe", "customers", cid, acct.person)
            if self.rng.random() < 0.1:
                self._stripe(
                    "customer.updated",
                    st.customer_updated(obj, phone=acct.identity.phone or None, metadata={"plan": "plus"}),
                    at + 600,
                )
        return cid

    def _j_card_payment(self, at: float, hour: int, fraud: Account | None = None) -> None:
        r = self.rng
        acct = fraud or self._account("stripe")
        cid = self._stripe_customer(acct, at) if fraud is None or r.random() < 0.3 else None
        amount = r.randint(100, 500) if fraud else int(r.lognormvariate(8.3, 0.8))
        intent = st.payment_intent(
            self.sids,
            r,
            cid,
            max(50, amount),
            at,
            "Card testing" if fraud else r.choice(("Order", "Invoice payment", "Gift card", None)),
            {},
        )
        self._truth("stripe", "payment_intents", intent["id"], acct.person)
        self._stripe("payment_intent.created", intent, at)
        t = at + r.uniform(1, 20)
        failed = r.random() < (0.7 if fraud else 0.06)
        if "card" not in acct.extra:  # one card per account: same brand, last4 and fingerprint each time
            acct.extra["card"] = st.card_details(r, self.sids.make("fp", 16)[3:])[0]
            acct.extra["pm"] = self.sids.make("pm", 24)
        ch = st.charge(
            self.sids,
            r,
            intent,
            acct,
            t,
            failed=failed,
            fraudulent=fraud is not None,
            card=acct.extra["card"],
            payment_method=acct.extra["pm"],
        )
        self._truth("stripe", "charges", ch["id"], acct.person)
        if failed:
            self._stripe("charge.failed", ch, t)
            self._stripe("payment_intent.payment_failed", st.intent_failed(intent, ch), t + 0.2)
            return
        self._stripe("charge.succeeded", ch, t)
        self._stripe("payment_intent.succeeded", st.intent_succeeded(intent, ch), t + 0.2)
        if fraud is None and r.random() < 0.04:
            t2 = t + r.uniform(HOUR, 40 * HOUR)
            amt = ch["amount"] if r.random() < 0.7 else ch["amount"] // 2
            rf = st.refund(self.sids, ch, amt, t2, r.choice(("requested_by_customer", "duplicate", None)))
            self._truth("stripe", "refunds", rf["id"], acct.person)
            self._stripe("refund.created", rf, t2)
            self._stripe("charge.refunded", st.charge_refunded(ch, rf), t2 + 0.3)
        elif r.random() < (0.4 if fraud else 0.004):
            t2 = t + r.uniform(2 * HOUR, 30 * HOUR)
            dp = st.dispute(
                self.sids,
                r,
                ch,
                t2,
                "fraudulent"
                if fraud
                else r.choice(("product_not_received", "fraudulent", "duplicate", "subscription_canceled")),
            )
            self._truth("stripe", "disputes", dp["id"], acct.person)
            self._stripe("charge.dispute.created", dp, t2)
            t3 = t2 + r.uniform(HOUR, 12 * HOUR)
            dp = st.dispute_updated(dp, t3)
            self._stripe("charge.dispute.updated", dp, t3)
            t4 = t3 + r.uniform(2 * HOUR, 24 * HOUR)
            self._stripe(
                "charge.dispute.closed", st.dispute_closed(dp, won=fraud is None and r.random() < 0.5), t4
            )

    def _j_fraud_charge(self, at: float, hour: int) -> None:
        ring = getattr(self, "_fraud_ring", None)
        if ring is None:
            ring = self._fraud_ring = self._make_fraud_ring(max(3, int(12 * self.scale)))
        self._j_card_payment(at, hour, fraud=self.rng.choice(ring))

    def _make_fraud_ring(self, n: int) -> list[Account]:
        """Card testers: new people (in the ground truth) behind throwaway Stripe identities."""
        out = []
        base = len(self.pop.people)
        for i in range(n):
            person = self.pop._person(base + i)
            self.pop.people.append(person)
            person.sources = ("stripe",)
            ident = self.pop.render(person, "stripe")
            ident.email = (
                f"{self.rng.getrandbits(40):010x}@{self.rng.choice(('mailinator.com', 'yopmail.com'))}"
            )
            ident.first_name = ident.last_name = None
            acct = Account("stripe", person, ident, len(self.pop.accounts["stripe"]))
            self.pop.accounts["stripe"].append(acct)
            out.append(acct)
        return out

    def _j_subscription(self, at: float, hour: int) -> None:
        r = self.rng
        acct = self._account("stripe")
        cid = self._stripe_customer(acct, at)
        sub = st.subscription(self.sids, r, cid, at + 5)
        self._truth("stripe", "subscriptions", sub["id"], acct.person)
        self._stripe("customer.subscription.created", sub, at + 5)
        if r.random() < 0.3:
            t = at + r.uniform(HOUR, 20 * HOUR)
            sub = st.subscription_updated(
                sub, cancel_at_period_end=True, cancel_at=sub["items"]["data"][0]["current_period_end"]
            )
            self._stripe("customer.subscription.updated", sub, t)
            if r.random() < 0.5:
                t += r.uniform(HOUR, 20 * HOUR)
                self._stripe(
                    "customer.subscription.deleted",
                    st.subscription_deleted(sub, t, "cancellation_requested"),
                    t,
                )

    # ---- HubSpot ------------------------------------------------------------------------------

    def _contact(self, acct: Account, at: float) -> hs.CrmObject:
        key = acct.person.person_id
        c = self._contacts.get(key)
        if c is None:
            c, events = self.crm.create_contact(acct, at, self.rng)
            self._contacts[key] = c
            self._hubspot(events)
            self._truth("hubspot", "contacts", c.id, acct.person)
        return c

    def _company(self, acct: Account, at: float) -> hs.CrmObject | None:
        comp = acct.person.company
        if comp is None:
            return None
        c = self._companies.get(comp.company_id)
        if c is None:
            c, events = self.crm.create_company(comp, at, self.rng)
            self._companies[comp.company_id] = c
            self._hubspot(events)
            self._truth("hubspot", "companies", c.id, None, comp.company_id)
        return c

    def _j_crm_lead(self, at: float, hour: int) -> None:
        r = self.rng
        acct = self._account("hubspot")
        contact = self._contact(acct, at)
        t = at + r.uniform(60, 4 * HOUR)
        if r.random() < 0.5:
            self._hubspot(self.crm.advance_lifecycle(contact, t, r))
        if r.random() < 0.08 and acct.identity.phone:
            self._hubspot(self.crm.update_contact(contact, t + 30, r, phone=acct.identity.phone))
        if r.random() < 0.4:
            eng, events = self.crm.create_engagement(contact, self._company(acct, at), None, t + 60, r)
            self._hubspot(events)
            self._truth("hubspot", "engagements", eng.id, acct.person)

    def _j_crm_deal(self, at: float, hour: int) -> None:
        r = self.rng
        acct = self._account("hubspot")
        contact = self._contact(acct, at)
        company = self._company(acct, at)
        deal, events = self.crm.create_deal(
            company, contact, at + 30, r, r.choice((2500, 6000, 12000, 48000))
        )
        self._hubspot(events)
        self._truth("hubspot", "deals", deal.id, acct.person)
        t = at + 30
        for _ in range(r.randint(0, 6)):
            t += r.uniform(HOUR, 8 * HOUR)
            moved = self.crm.advance_deal(deal, t, r)
            if not moved:
                break
            self._hubspot(moved)
            if r.random() < 0.5:
                eng, ev = self.crm.create_engagement(contact, company, deal, t + 120, r)
                self._hubspot(ev)
                self._truth("hubspot", "engagements", eng.id, acct.person)

    def _promotion(self, at: float) -> None:
        """An email blast to a share of the HubSpot contacts; clickers may buy with the promo code."""
        r = self.rng
        accounts = self.pop.accounts["hubspot"]
        for acct in r.sample(accounts, min(len(accounts), int(len(accounts) * 0.6))):
            contact = self._contact(acct, at - DAY + r.random() * HOUR)
            t = at + r.uniform(0, 600)
            self._hubspot(self.crm.update_contact(contact, t, r, hs_email_last_send_date=str(int(t * 1000))))
            if r.random() < 0.3:
                t += r.uniform(60, 4 * HOUR)
                self._hubspot(
                    self.crm.update_contact(contact, t, r, hs_email_last_open_date=str(int(t * 1000)))
                )
                if r.random() < 0.2:
                    self._hubspot(self.crm.advance_lifecycle(contact, t + 30, r))

    def truth_people(self) -> list[dict]:
        return self.pop.ground_truth_people()


def _count(r: random.Random, lam: float) -> int:
    """An integer with mean `lam` (Poisson-like spread, cheap for large means)."""
    if lam <= 0:
        return 0
    if lam < 30:
        n, p, limit = 0, 1.0, pow(2.718281828459045, -lam)
        while True:
            p *= r.random()
            if p < limit:
                return n
            n += 1
    return max(0, int(r.gauss(lam, lam**0.5) + 0.5))
