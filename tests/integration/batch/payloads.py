"""Small, deterministic provider payloads in the real API shapes, for the batch tests.

Shopify: Admin REST webhook bodies (orders via `icefloe.datagen.shopify`). Stripe: event envelopes
{id, type, created, data: {object}} whose objects start from Stripe's own OpenAPI fixtures
(/work/shared/data/stripe/fixtures3.json when present). HubSpot: webhook events {eventId,
subscriptionType, objectId, propertyName, propertyValue, occurredAt} and CRM objects {id, properties}.
The generator of issue 4 replaces this once it lands; the shapes are the providers', not ours.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

FIXTURES = Path("/work/shared/data/stripe/fixtures3.json")
T0 = datetime(2026, 11, 1, 9, tzinfo=timezone.utc)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def _epoch(t: datetime) -> int:
    return int(t.timestamp())


def _stripe_fixture(kind: str) -> dict:
    if FIXTURES.exists():
        return copy.deepcopy(json.loads(FIXTURES.read_text())["resources"][kind])
    return {"object": kind}


_event_seq = [0]


def stripe_event(kind: str, event_type: str, obj: dict, at: datetime) -> dict:
    _event_seq[0] += 1
    return {"id": f"evt_test{_event_seq[0]:08d}", "object": "event", "api_version": "2026-10-28.acacia",
            "type": event_type, "created": _epoch(at), "livemode": False,
            "data": {"object": obj}}


def person(i: int) -> dict:
    first = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"][i % 8]
    last = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"][i % 8]
    return {"first": first, "last": f"{last}{i}", "email": f"{first}.{last}{i}@example.com".lower(),
            "phone": f"+1555000{i:04d}", "country": ["US", "GB", "DE", "FR"][i % 4], "city": f"City{i % 5}"}


def shopify_customer(i: int, at: datetime, **over) -> dict:
    p = person(i)
    body = {
        "id": 7_000_000_000_000 + i, "email": p["email"], "first_name": p["first"], "last_name": p["last"],
        "phone": p["phone"], "state": "enabled", "verified_email": True, "currency": "USD", "tags": "",
        "orders_count": 0, "total_spent": "0.00",
        "email_marketing_consent": {"state": "subscribed" if i % 2 else "not_subscribed", "opt_in_level": "single_opt_in"},
        "default_address": {"city": p["city"], "province_code": "CA", "country_code": p["country"], "zip": f"9{i:04d}"},
        "created_at": _iso(T0), "updated_at": _iso(at), "admin_graphql_api_id": f"gid://shopify/Customer/{i}",
    }
    body.update(over)
    return body


def shopify_order(n: int, customer: int, at: datetime, total: str = "100.00", **over) -> dict:
    p = person(customer)
    body = {
        "id": 5_100_000_000_000_000_000 + n, "order_number": 1000 + n, "email": p["email"],
        "created_at": _iso(T0 + timedelta(days=n % 5, minutes=n)), "updated_at": _iso(at), "currency": "USD",
        "total_price": total, "subtotal_price": total, "total_tax": "0.00", "total_discounts": "0.00",
        "financial_status": "paid", "fulfillment_status": None, "source_name": ["web", "pos"][n % 2],
        "cancelled_at": None,
        "line_items": [{"id": n * 10, "title": "Widget", "quantity": 1, "price": total}],
        "shipping_lines": [{"price": "0.00"}],
        "shipping_address": {"city": p["city"], "country_code": p["country"]},
        "billing_address": {"city": p["city"], "country_code": p["country"]},
        "customer": {"id": 7_000_000_000_000 + customer, "email": p["email"]},
    }
    body.update(over)
    return body


def shopify_product(i: int, at: datetime, **over) -> dict:
    body = {"id": 8_000_000_000_000 + i, "title": f"Product {i}", "vendor": "Acme", "product_type": "Widget",
            "handle": f"product-{i}", "status": "active", "tags": "", "published_at": _iso(T0),
            "variants": [{"id": i * 10 + v, "price": f"{10 + v}.50", "inventory_quantity": 5} for v in range(2)],
            "created_at": _iso(T0), "updated_at": _iso(at)}
    body.update(over)
    return body


def stripe_customer(i: int, at: datetime, event_type: str = "customer.updated", **over) -> dict:
    p = person(i)
    obj = _stripe_fixture("customer")
    obj.update({"id": f"cus_test{i:05d}", "email": p["email"].upper() if i % 3 == 0 else p["email"],
                "name": f"{p['first']} {p['last']}", "phone": None, "created": _epoch(T0),
                "address": {"city": p["city"], "country": p["country"], "postal_code": None, "line1": None,
                            "line2": None, "state": None}}, **over)
    return stripe_event("customer", event_type, obj, at)


def stripe_charge(i: int, customer: int | None, at: datetime, amount: int = 10000, currency: str = "usd",
                  event_type: str = "charge.succeeded", **over) -> dict:
    obj = _stripe_fixture("charge")
    obj.update({"id": f"ch_test{i:05d}", "customer": None if customer is None else f"cus_test{customer:05d}",
                "amount": amount, "amount_captured": amount, "amount_refunded": 0, "currency": currency,
                "status": "succeeded", "paid": True, "captured": True, "refunded": False, "disputed": False,
                "payment_intent": f"pi_test{i:05d}", "created": _epoch(T0 + timedelta(days=i % 5)),
                "payment_method_details": {"type": ["card", "sepa_debit"][i % 2],
                                           "card": {"brand": "visa", "country": "US"}}}, **over)
    return stripe_event("charge", event_type, obj, at)


def stripe_payment_intent(i: int, customer: int | None, at: datetime, amount: int = 10000, **over) -> dict:
    obj = _stripe_fixture("payment_intent")
    obj.update({"id": f"pi_test{i:05d}", "customer": None if customer is None else f"cus_test{customer:05d}",
                "amount": amount, "amount_received": amount, "currency": "usd", "status": "succeeded",
                "latest_charge": f"ch_test{i:05d}", "canceled_at": None, "created": _epoch(T0)}, **over)
    return stripe_event("payment_intent", "payment_intent.succeeded", obj, at)


def stripe_refund(i: int, charge: int, at: datetime, amount: int = 10000, **over) -> dict:
    obj = _stripe_fixture("refund")
    obj.update({"id": f"re_test{i:05d}", "charge": f"ch_test{charge:05d}", "amount": amount, "currency": "usd",
                "status": "succeeded", "created": _epoch(at)}, **over)
    return stripe_event("refund", "refund.created", obj, at)


def stripe_dispute(i: int, charge: int, at: datetime, status: str = "needs_response", **over) -> dict:
    obj = _stripe_fixture("dispute")
    obj.update({"id": f"dp_test{i:05d}", "charge": f"ch_test{charge:05d}", "amount": 10000, "currency": "usd",
                "status": status, "created": _epoch(at)}, **over)
    return stripe_event("dispute", "charge.dispute.created", obj, at)


def stripe_subscription(i: int, customer: int, at: datetime, status: str = "active", **over) -> dict:
    obj = _stripe_fixture("subscription")
    obj.update({"id": f"sub_test{i:05d}", "customer": f"cus_test{customer:05d}", "status": status,
                "currency": "usd", "created": _epoch(T0), "start_date": _epoch(T0), "canceled_at": None,
                "ended_at": None, "cancel_at": None, "trial_end": None,
                "items": {"object": "list", "data": [{"id": f"si_test{i}", "quantity": 2,
                          "current_period_start": _epoch(T0), "current_period_end": _epoch(T0 + timedelta(days=30)),
                          "price": {"id": "price_test", "product": "prod_test", "unit_amount": 1500,
                                    "recurring": {"interval": "month", "interval_count": 1}}}]}}, **over)
    return stripe_event("subscription", "customer.subscription.updated", obj, at)


_hs_seq = [0]


def hubspot_event(kind: str, object_id: int, at: datetime, prop: str | None = None, value: str | None = None,
                  change: str = "propertyChange") -> dict:
    _hs_seq[0] += 1
    event = {"eventId": 9_000_000 + _hs_seq[0], "subscriptionId": 1, "portalId": 62515, "appId": 1,
             "occurredAt": int(at.timestamp() * 1000), "subscriptionType": f"{kind}.{change}",
             "attemptNumber": 0, "objectId": object_id, "changeSource": "CRM_UI"}
    if prop is not None:
        event.update({"propertyName": prop, "propertyValue": value})
    return event


def hubspot_object(object_id: int, at: datetime, properties: dict) -> dict:
    return {"id": str(object_id), "properties": {**properties, "hs_object_id": str(object_id)},
            "createdAt": _iso(T0), "updatedAt": _iso(at), "archived": False}


def hubspot_contact(i: int, at: datetime) -> dict:
    p = person(i)
    return hubspot_object(100 + i, at, {"email": p["email"], "firstname": p["first"], "lastname": p["last"],
                                         "lifecyclestage": "lead", "country": p["country"], "city": p["city"],
                                         "createdate": _iso(T0)})
