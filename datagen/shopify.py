"""Shopify payloads shaped like the Admin API's webhook bodies (orders for now)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from faker import Faker

# Shopify ids are 64-bit and exceed 2**53: keep them exact (ints in JSON, strings downstream).
ORDER_ID_BASE = 5_100_000_000_000_000_000


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _address(fake: Faker, first: str, last: str) -> dict:
    return {
        "first_name": first, "last_name": last, "name": f"{first} {last}",
        "address1": fake.street_address(), "address2": None, "city": fake.city(),
        "province": fake.state(), "province_code": fake.state_abbr(), "country": "United States",
        "country_code": "US", "zip": fake.postcode(), "phone": fake.phone_number(), "company": None,
        "latitude": float(fake.latitude()), "longitude": float(fake.longitude()),
    }


def order(fake: Faker, rng: random.Random, n: int, created_at: datetime) -> dict:
    """A `orders/create` body. `n` numbers the order deterministically."""
    first, last = fake.first_name(), fake.last_name()
    email = f"{first}.{last}@{fake.free_email_domain()}".lower()
    lines = []
    subtotal = Decimal(0)
    for i in range(rng.randint(1, 4)):
        price = Decimal(rng.randint(500, 25000)) / 100
        qty = rng.randint(1, 3)
        subtotal += price * qty
        lines.append({
            "id": ORDER_ID_BASE + n * 10 + i, "title": fake.catch_phrase(), "quantity": qty,
            "price": _money(price), "sku": f"SKU-{rng.randint(1000, 9999)}", "variant_id": rng.randint(10**13, 10**14),
            "product_id": rng.randint(10**12, 10**13), "vendor": fake.company(), "taxable": True,
            "requires_shipping": True, "fulfillment_status": None,
        })
    discount = _money(subtotal * Decimal("0.1")) if rng.random() < 0.2 else "0.00"
    shipping = Decimal(rng.choice([0, 499, 999])) / 100
    tax = (subtotal - Decimal(discount)) * Decimal("0.08")
    total = subtotal - Decimal(discount) + shipping + tax
    ts = created_at.astimezone(timezone.utc).isoformat(timespec="seconds")
    address = _address(fake, first, last)
    return {
        "id": ORDER_ID_BASE + n,
        "admin_graphql_api_id": f"gid://shopify/Order/{ORDER_ID_BASE + n}",
        "order_number": 1000 + n,
        "name": f"#{1000 + n}",
        "email": email,
        "contact_email": email,
        "created_at": ts,
        "updated_at": ts,
        "processed_at": ts,
        "currency": "USD",
        "presentment_currency": "USD",
        "subtotal_price": _money(subtotal),
        "total_discounts": discount,
        "total_tax": _money(tax),
        "total_price": _money(total),
        "total_line_items_price": _money(subtotal),
        "financial_status": rng.choice(["paid", "paid", "paid", "pending", "authorized"]),
        "fulfillment_status": None,
        "source_name": rng.choice(["web", "pos", "shopify_draft_order"]),
        "test": False,
        "line_items": lines,
        "shipping_lines": [{"id": ORDER_ID_BASE + n, "title": "Standard", "price": _money(shipping), "code": "STD"}],
        "billing_address": address,
        "shipping_address": address,
        "customer": {
            "id": 7_000_000_000_000 + rng.randint(0, 10**9), "email": email, "first_name": first, "last_name": last,
            "phone": None, "created_at": ts, "updated_at": ts, "verified_email": True, "state": "enabled",
            "currency": "USD",
        },
    }


def fulfilled(order_body: dict, at: datetime) -> dict:
    """The same order after payment and fulfilment (an `orders/updated` body)."""
    updated = dict(order_body)
    updated["financial_status"] = "paid"
    updated["fulfillment_status"] = "fulfilled"
    updated["updated_at"] = at.astimezone(timezone.utc).isoformat(timespec="seconds")
    return updated


def orders(count: int, seed: int = 7, start: datetime | None = None) -> list[dict]:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    start = start or datetime(2026, 11, 1, tzinfo=timezone.utc)
    return [order(fake, rng, n, start + timedelta(minutes=7 * n)) for n in range(count)]
