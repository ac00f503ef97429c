"""Shopify Admin API webhook bodies: orders, customers and products (with variants).

Shapes follow Shopify's webhook payloads for API version `API_VERSION` (every field the
`shopify-webhook-schemas` package marks required is present; see tests/unit/datagen). Ids are 64-bit
and above 2**53, as Shopify's are: they stay Python ints and are serialised exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from icefloe.datagen.common import iso_shop, money, money_set
from icefloe.datagen.population import Account, Address, Identity, Pools

API_VERSION = "2026-07"
SHOP_DOMAIN = "icefloe-demo.myshopify.com"
CURRENCY = "USD"
# One id space per kind, all above 2**53 (9.007e15) and below 2**63.
_ID_BASE = {
    "order": 6_100_000_000_000_000_000,
    "line_item": 6_200_000_000_000_000_000,
    "customer": 6_300_000_000_000_000_000,
    "product": 6_400_000_000_000_000_000,
    "variant": 6_500_000_000_000_000_000,
    "shipping_line": 6_600_000_000_000_000_000,
    "fulfillment": 6_700_000_000_000_000_000,
    "address": 6_800_000_000_000_000_000,
}
SIZES = ("XS", "S", "M", "L", "XL")
COLORS = ("Black", "White", "Navy", "Olive", "Sand", "Red")
PRODUCT_TYPES = ("Shirts", "Hoodies", "Sneakers", "Bags", "Hats", "Accessories", "Jackets")


class ShopifyIds:
    """Sequential ids per kind, offset by the seed so two seeds never share ids."""

    def __init__(self, seed: int) -> None:
        self._next = {k: base + (seed % 1000) * 10**13 for k, base in _ID_BASE.items()}

    def next(self, kind: str) -> int:
        self._next[kind] += 1
        return self._next[kind]

    def customer_id(self, account: Account) -> int:
        return self._next_base("customer") + account.index

    def _next_base(self, kind: str) -> int:
        return _ID_BASE[kind] + 5 * 10**16


@dataclass(slots=True)
class Variant:
    id: int
    product_id: int
    title: str
    sku: str
    price_cents: int
    grams: int
    inventory: int


@dataclass(slots=True)
class Product:
    id: int
    title: str
    vendor: str
    product_type: str
    created_at: float
    variants: list[Variant]
    body: dict
    line_bases: dict[int, dict] = field(default_factory=dict)


#: where orders come from (Shopify's `source_name`), by share of orders
SOURCE_NAMES = (("web", 70), ("pos", 12), ("iphone", 8), ("android", 5), ("shopify_draft_order", 5))


def source_name(order_id: int) -> str:
    """The order's sales channel, a function of its id (no draw from the generator's random stream,
    so every other generated value stays what it was for a seed)."""
    slot = (order_id * 2654435761) % 2**32 % 100  # Knuth's multiplicative hash: ids are sequential
    for name, share in SOURCE_NAMES:
        if slot < share:
            return name
        slot -= share
    return SOURCE_NAMES[0][0]


def gid(kind: str, id_: int) -> str:
    return f"gid://shopify/{kind}/{id_}"


def _address(ident: Identity, addr: Address, company: str | None) -> dict:
    first, last = ident.first_name or "", ident.last_name or ""
    return {
        "first_name": first,
        "address1": addr.address1,
        "phone": ident.phone or "",
        "city": addr.city,
        "zip": addr.zip,
        "province": addr.province,
        "country": addr.country,
        "last_name": last,
        "address2": None,
        "company": company,
        "latitude": None,
        "longitude": None,
        "name": f"{first} {last}".strip(),
        "country_code": addr.country_code,
        "province_code": addr.province_code,
    }


def _fallback_address(account: Account) -> Address:
    # Shopify checkout requires a shipping address: a source that lacks one still ships somewhere.
    return account.identity.address or account.person.address


def _names(account: Account) -> Identity:
    # Checkout requires a last name; a Shopify identity without names falls back to the truth.
    ident = account.identity
    if ident.first_name is None or ident.last_name is None:
        return Identity(
            account.person.first_name, account.person.last_name, ident.email, ident.phone, ident.address
        )
    return ident


def customer(
    ids: ShopifyIds,
    account: Account,
    created_at: float,
    updated_at: float | None = None,
    orders_count: int = 0,
) -> dict:
    """A `customers/create` (or `customers/update`) body for an account."""
    ident = _names(account)
    cid = ids.customer_id(account)
    addr = _fallback_address(account)
    default_address = {
        "id": _ID_BASE["address"] + 5 * 10**16 + account.index,
        "customer_id": cid,
        "first_name": ident.first_name,
        "last_name": ident.last_name,
        "company": "",
        "address1": addr.address1,
        "address2": "",
        "city": addr.city,
        "province": addr.province,
        "country": addr.country,
        "zip": addr.zip,
        "phone": ident.phone or "",
        "name": f"{ident.first_name} {ident.last_name}",
        "province_code": addr.province_code,
        "country_code": addr.country_code,
        "country_name": addr.country,
        "default": True,
    }
    return {
        "id": cid,
        "created_at": iso_shop(created_at),
        "updated_at": iso_shop(updated_at or created_at),
        "first_name": ident.first_name,
        "last_name": ident.last_name,
        "state": "enabled" if orders_count else "disabled",
        "note": "",
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": False,
        "email": ident.email,
        "phone": ident.phone if ident.phone and ident.phone.startswith("+") else None,
        "currency": CURRENCY,
        "addresses": [default_address],
        "tax_exemptions": [],
        "admin_graphql_api_id": gid("Customer", cid),
        "default_address": default_address,
    }


def _order_customer(cust: dict) -> dict:
    out = {k: v for k, v in cust.items() if k != "addresses"}
    out["default_address"] = dict(cust["default_address"], company=None, address2=None)
    return out


def product(ids: ShopifyIds, pools: Pools, rng: random.Random, created_at: float) -> Product:
    """A product with 2-6 variants (size x colour), and its `products/create` body."""
    pid = ids.next("product")
    ptype = rng.choice(PRODUCT_TYPES)
    title = f"{rng.choice(pools.product_words)} {rng.choice(pools.product_words)} {ptype[:-1]}"
    vendor = rng.choice(pools.company_names)
    handle = "-".join(title.lower().split())
    base_price = rng.choice((1500, 1999, 2499, 3500, 4999, 7900, 12000, 18999))
    colors = rng.sample(COLORS, rng.randint(1, 2))
    sizes = SIZES[rng.randint(0, 2) : rng.randint(3, 5)]
    ts = iso_shop(created_at)
    variants, vbodies = [], []
    for pos, (color, size) in enumerate(((c, s) for c in colors for s in sizes), start=1):
        vid = ids.next("variant")
        sku = f"{ptype[:3].upper()}-{pid % 100000:05d}-{color[:3].upper()}-{size}"
        qty = rng.randint(0, 200)
        v = Variant(vid, pid, f"{color} / {size}", sku, base_price, rng.choice((150, 300, 600, 900)), qty)
        variants.append(v)
        vbodies.append(
            {
                "admin_graphql_api_id": gid("ProductVariant", vid),
                "barcode": None,
                "compare_at_price": money(base_price + base_price // 4) if rng.random() < 0.3 else None,
                "created_at": ts,
                "id": vid,
                "inventory_policy": "deny",
                "position": pos,
                "price": money(base_price),
                "product_id": pid,
                "sku": sku,
                "taxable": True,
                "title": v.title,
                "updated_at": ts,
                "option1": color,
                "option2": size,
                "option3": None,
                "image_id": None,
                "inventory_item_id": vid + 10**15,
                "inventory_quantity": qty,
                "old_inventory_quantity": qty,
            }
        )
    body = {
        "admin_graphql_api_id": gid("Product", pid),
        "body_html": f"<p>{title} by {vendor}.</p>",
        "created_at": ts,
        "handle": handle,
        "id": pid,
        "product_type": ptype,
        "published_at": ts,
        "template_suffix": None,
        "title": title,
        "updated_at": ts,
        "vendor": vendor,
        "status": "active",
        "published_scope": "global",
        "tags": ", ".join(sorted({ptype.lower(), colors[0].lower()})),
        "variants": vbodies,
        "options": [
            {"id": pid + 1, "product_id": pid, "name": "Color", "position": 1, "values": colors},
            {"id": pid + 2, "product_id": pid, "name": "Size", "position": 2, "values": list(sizes)},
        ],
        "images": [],
        "image": None,
        "media": [],
        "variant_gids": [
            {"admin_graphql_api_id": gid("ProductVariant", v.id), "updated_at": _iso_z(created_at)}
            for v in variants
        ],
        "has_variants_that_requires_components": False,
        "category": None,
    }
    return Product(pid, title, vendor, ptype, created_at, variants, body)


def product_update(
    prod: Product,
    at: float,
    rng: random.Random,
    price_factor: float = 1.0,
    sold: dict[int, int] | None = None,
) -> dict:
    """A `products/update` body: inventory moved (by `sold`) and/or a price change."""
    ts = iso_shop(at)
    vbodies = []
    for v, vb in zip(prod.variants, prod.body["variants"], strict=False):
        old = v.inventory
        v.inventory = max(0, v.inventory - (sold or {}).get(v.id, 0))
        if price_factor != 1.0:
            v.price_cents = int(v.price_cents * price_factor) // 100 * 100 + 99
        vbodies.append(
            dict(
                vb,
                price=money(v.price_cents),
                inventory_quantity=v.inventory,
                old_inventory_quantity=old,
                updated_at=ts,
            )
        )
    prod.body = dict(
        prod.body,
        variants=vbodies,
        updated_at=ts,
        variant_gids=[
            {"admin_graphql_api_id": gid("ProductVariant", v.id), "updated_at": _iso_z(at)}
            for v in prod.variants
        ],
    )
    return prod.body


def _iso_z(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _line_base(v: Variant, prod: Product) -> dict:
    """The fields of a line item that depend only on the variant (built once per variant)."""
    base = prod.line_bases.get(v.id)
    if base is None or base["price"] != money(v.price_cents):
        base = prod.line_bases[v.id] = {
            "id": 0,
            "admin_graphql_api_id": "",
            "attributed_staffs": [],
            "current_quantity": 0,
            "fulfillable_quantity": 0,
            "fulfillment_service": "manual",
            "fulfillment_status": None,
            "gift_card": False,
            "grams": v.grams,
            "name": f"{prod.title} - {v.title}",
            "price": money(v.price_cents),
            "price_set": money_set(v.price_cents),
            "product_exists": True,
            "product_id": prod.id,
            "properties": [],
            "quantity": 0,
            "requires_shipping": True,
            "sales_line_item_group_id": None,
            "sku": v.sku,
            "taxable": True,
            "title": prod.title,
            "total_discount": "0.00",
            "total_discount_set": money_set(0),
            "variant_id": v.id,
            "variant_inventory_management": "shopify",
            "variant_title": v.title,
            "vendor": prod.vendor,
            "tax_lines": [],
            "duties": [],
            "discount_allocations": [],
        }
    return base


def order(
    ids: ShopifyIds,
    rng: random.Random,
    pools: Pools,
    number: int,
    account: Account,
    cust: dict,
    items: list[tuple[Variant, Product, int]],
    created_at: float,
    discount_code: str | None = None,
    discount_pct: int = 0,
    financial_status: str = "paid",
) -> dict:
    """An `orders/create` body: line items, discount, shipping line, addresses, nested customer."""
    oid = ids.next("order")
    ts = iso_shop(created_at)
    ident = _names(account)
    addr = _fallback_address(account)
    company = account.person.company.name if account.person.company and rng.random() < 0.2 else None
    ship_to = _address(ident, addr, company)
    bill_to = ship_to if rng.random() < 0.85 else _address(ident, account.person.address, company)
    lines = []
    subtotal = discount_total = weight = tax_total = 0
    tax_rate = 0.0725 if addr.province_code in ("CA", "NY", "TX", "WA", "IL") else 0.05
    for v, prod, qty in items:
        lid = ids.next("line_item")
        line_price = v.price_cents * qty
        disc = line_price * discount_pct // 100
        tax = round((line_price - disc) * tax_rate)
        subtotal += line_price
        discount_total += disc
        tax_total += tax
        weight += v.grams * qty
        lines.append(
            dict(
                _line_base(v, prod),
                id=lid,
                admin_graphql_api_id=gid("LineItem", lid),
                current_quantity=qty,
                fulfillable_quantity=qty,
                quantity=qty,
                tax_lines=[
                    {
                        "channel_liable": False,
                        "price": money(tax),
                        "price_set": money_set(tax),
                        "rate": tax_rate,
                        "title": "State Tax",
                    }
                ]
                if tax
                else [],
                discount_allocations=[
                    {"amount": money(disc), "amount_set": money_set(disc), "discount_application_index": 0}
                ]
                if disc
                else [],
            )
        )
    shipping = 0 if subtotal >= 7500 or discount_code == "FREESHIP" else rng.choice((499, 799, 1299))
    sl_id = ids.next("shipping_line")
    shipping_line = {
        "id": sl_id,
        "carrier_identifier": None,
        "code": "Standard" if shipping != 1299 else "Express",
        "current_discounted_price_set": money_set(shipping),
        "discounted_price": money(shipping),
        "discounted_price_set": money_set(shipping),
        "is_removed": False,
        "phone": None,
        "price": money(shipping),
        "price_set": money_set(shipping),
        "requested_fulfillment_service_id": None,
        "source": "shopify",
        "title": "Standard Shipping" if shipping != 1299 else "Express Shipping",
        "tax_lines": [],
        "discount_allocations": [],
    }
    net = subtotal - discount_total
    total = net + shipping + tax_total
    token = f"{rng.getrandbits(128):032x}"
    email = ident.email or ""
    paid = financial_status == "paid"
    return {
        "id": oid,
        "admin_graphql_api_id": gid("Order", oid),
        "app_id": 580111,
        "browser_ip": None,
        "buyer_accepts_marketing": rng.random() < 0.4,
        "cancel_reason": None,
        "cancelled_at": None,
        "cart_token": None,
        "checkout_token": f"{rng.getrandbits(128):032x}",
        "client_details": {
            "accept_language": "en-US",
            "browser_height": None,
            "browser_ip": rng.choice(pools.ipv4),
            "browser_width": None,
            "session_hash": None,
            "user_agent": rng.choice(pools.user_agents),
        },
        "closed_at": None,
        "confirmation_number": f"{rng.getrandbits(40):X}"[:9],
        "confirmed": True,
        "contact_email": email,
        "created_at": ts,
        "currency": CURRENCY,
        "current_shipping_price_set": money_set(shipping),
        "current_subtotal_price": money(net),
        "current_subtotal_price_set": money_set(net),
        "current_total_additional_fees_set": None,
        "current_total_discounts": money(discount_total),
        "current_total_discounts_set": money_set(discount_total),
        "current_total_duties_set": None,
        "current_total_price": money(total),
        "current_total_price_set": money_set(total),
        "current_total_tax": money(tax_total),
        "current_total_tax_set": money_set(tax_total),
        "customer_locale": "en-US",
        "device_id": None,
        "discount_codes": [{"code": discount_code, "amount": money(discount_total), "type": "percentage"}]
        if discount_code
        else [],
        "duties_included": False,
        "email": email,
        "estimated_taxes": False,
        "financial_status": financial_status,
        "fulfillment_status": None,
        "landing_site": "/",
        "landing_site_ref": None,
        "location_id": None,
        "merchant_business_entity_id": "MTU0ODM4MDAwOQ",
        "merchant_of_record_app_id": None,
        "name": f"#{1000 + number}",
        "note": None,
        "note_attributes": [],
        "number": number,
        "order_number": 1000 + number,
        "order_status_url": f"https://{SHOP_DOMAIN}/60741337/orders/{token}/authenticate?key={token[:16]}",
        "original_total_additional_fees_set": None,
        "original_total_duties_set": None,
        "payment_gateway_names": ["shopify_payments"],
        "phone": None,
        "po_number": None,
        "presentment_currency": CURRENCY,
        "processed_at": ts,
        "reference": None,
        "referring_site": None,
        "source_identifier": None,
        "source_name": source_name(oid),
        "source_url": None,
        "subtotal_price": money(net),
        "subtotal_price_set": money_set(net),
        "tags": "",
        "tax_exempt": False,
        "tax_lines": [
            {
                "channel_liable": False,
                "price": money(tax_total),
                "price_set": money_set(tax_total),
                "rate": tax_rate,
                "title": "State Tax",
            }
        ]
        if tax_total
        else [],
        "taxes_included": False,
        "test": False,
        "token": token,
        "total_cash_rounding_payment_adjustment_set": money_set(0),
        "total_cash_rounding_refund_adjustment_set": money_set(0),
        "total_discounts": money(discount_total),
        "total_discounts_set": money_set(discount_total),
        "total_line_items_price": money(subtotal),
        "total_line_items_price_set": money_set(subtotal),
        "total_outstanding": "0.00" if paid else money(total),
        "total_price": money(total),
        "total_price_set": money_set(total),
        "total_shipping_price_set": money_set(shipping),
        "total_tax": money(tax_total),
        "total_tax_set": money_set(tax_total),
        "total_tip_received": "0.00",
        "total_weight": weight,
        "updated_at": ts,
        "user_id": None,
        "billing_address": bill_to,
        "customer": _order_customer(cust),
        "discount_applications": [
            {
                "target_type": "line_item",
                "type": "discount_code",
                "value": f"{discount_pct}.0",
                "value_type": "percentage",
                "allocation_method": "across",
                "target_selection": "all",
                "code": discount_code,
            }
        ]
        if discount_code
        else [],
        "fulfillments": [],
        "line_items": lines,
        "payment_terms": None,
        "refunds": [],
        "shipping_address": ship_to,
        "shipping_lines": [shipping_line],
        "returns": [],
        "line_item_groups": [],
    }


def paid(body: dict, at: float) -> dict:
    """The order once payment is captured (`orders/paid`)."""
    return dict(body, financial_status="paid", total_outstanding="0.00", updated_at=iso_shop(at))


def fulfilled(
    body: dict, at: float, fulfillment_id: int | None = None, rng: random.Random | None = None
) -> dict:
    """The order once shipped (`orders/fulfilled`): one fulfillment covering every line."""
    ts = iso_shop(at)
    fid = fulfillment_id or body["id"] + 600_000_000_000_000_000
    tracking = f"1Z{(rng or random.Random(body['id'])).getrandbits(48):012X}"
    lines = [dict(li, fulfillable_quantity=0, fulfillment_status="fulfilled") for li in body["line_items"]]
    fulfillment = {
        "id": fid,
        "admin_graphql_api_id": gid("Fulfillment", fid),
        "created_at": ts,
        "location_id": 65_000_001,
        "name": f"{body['name']}.1",
        "order_id": body["id"],
        "origin_address": {},
        "receipt": {},
        "service": "manual",
        "shipment_status": None,
        "status": "success",
        "tracking_company": "UPS",
        "tracking_number": tracking,
        "tracking_numbers": [tracking],
        "tracking_url": f"https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums={tracking}",
        "tracking_urls": [f"https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums={tracking}"],
        "updated_at": ts,
        "line_items": [
            {
                k: v
                for k, v in li.items()
                if k not in ("attributed_staffs", "current_quantity", "sales_line_item_group_id")
            }
            for li in lines
        ],
    }
    return dict(
        body,
        fulfillment_status="fulfilled",
        line_items=lines,
        fulfillments=[fulfillment],
        updated_at=ts,
        closed_at=ts,
    )


def refunded(body: dict, at: float) -> dict:
    """The order after a full refund (`orders/updated`).

    Shopify's body carries the refund objects in `refunds`; the schema package has only ever seen
    it empty, so we keep it empty and let `financial_status` and the current totals tell.
    """
    ts = iso_shop(at)
    return dict(
        body,
        financial_status="refunded",
        updated_at=ts,
        current_total_price="0.00",
        current_total_price_set=money_set(0),
        current_subtotal_price="0.00",
        current_subtotal_price_set=money_set(0),
        current_total_tax="0.00",
        current_total_tax_set=money_set(0),
    )


def cancelled(body: dict, at: float, reason: str = "customer") -> dict:
    """The order cancelled before shipping (`orders/cancelled`)."""
    ts = iso_shop(at)
    status = "refunded" if body["financial_status"] == "paid" else "voided"
    lines = [dict(li, current_quantity=0, fulfillable_quantity=0) for li in body["line_items"]]
    return dict(
        body,
        cancel_reason=reason,
        cancelled_at=ts,
        closed_at=ts,
        financial_status=status,
        updated_at=ts,
        line_items=lines,
        current_total_price="0.00",
        current_total_price_set=money_set(0),
    )


def orders(count: int, seed: int = 7, start: datetime | None = None) -> list[dict]:
    """`count` standalone `orders/create` bodies (a small fixed population), for quick demos."""
    from icefloe.datagen.population import Population, PopulationConfig

    start = start or datetime(2026, 11, 1, tzinfo=UTC)
    pop = Population(PopulationConfig(people=max(20, count), p_source={"shopify": 1.0}), seed)
    rng = random.Random(seed)
    ids = ShopifyIds(seed)
    catalog = [product(ids, pop.pools, rng, start.timestamp() - 86400) for _ in range(10)]
    out = []
    for n in range(count):
        acct = pop.accounts["shopify"][n % len(pop.accounts["shopify"])]
        at = (start + timedelta(minutes=7 * n)).timestamp()
        prod = rng.choice(catalog)
        items = [(rng.choice(prod.variants), prod, rng.randint(1, 3))]
        out.append(order(ids, rng, pop.pools, n + 1, acct, customer(ids, acct, at), items, at))
    return out
