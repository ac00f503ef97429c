"""A small cross-source world (a dozen people across Shopify, Stripe and HubSpot) and rounds of
changes to it, so every staging table and every layer below has rows, updates and deletions."""

from __future__ import annotations

from datetime import timedelta

from . import payloads as p

T = p.T0


def base() -> dict[str, list[dict]]:
    people = range(8)
    at = T + timedelta(hours=1)
    return {
        "shopify_customers": [p.shopify_customer(i, at) for i in people],
        "shopify_orders": [p.shopify_order(n, n % 6, at, total=f"{50 + n * 10}.00") for n in range(12)],
        "shopify_products": [p.shopify_product(i, at) for i in range(3)],
        "stripe_customers": [p.stripe_customer(i, at, "customer.created") for i in range(2, 10)],
        "stripe_charges": [p.stripe_charge(i, 2 + i % 8, at, amount=1000 * (i + 1)) for i in range(10)]
        + [p.stripe_charge(50, None, at, amount=1500, currency="jpy")],
        "stripe_payment_intents": [p.stripe_payment_intent(i, 2 + i % 8, at) for i in range(5)],
        "stripe_refunds": [p.stripe_refund(1, 1, at, amount=2000)],
        "stripe_disputes": [p.stripe_dispute(1, 2, at)],
        "stripe_subscriptions": [p.stripe_subscription(i, 2 + i, at) for i in range(3)],
        "hubspot_contacts": [p.hubspot_contact(i, at) for i in range(4, 12)]
        + [p.hubspot_event("contact", 104, at + timedelta(minutes=5), "lifecyclestage", "customer")],
        "hubspot_companies": [p.hubspot_object(500 + i, at, {"name": f"Co {i}", "domain": f"CO{i}.example",
                                                              "annualrevenue": "1000000.50"}) for i in range(3)],
        "hubspot_deals": [p.hubspot_object(700 + i, at, {"dealname": f"Deal {i}", "amount": "2500.00",
                                                          "dealstage": "appointmentscheduled"}) for i in range(3)],
        "hubspot_engagements": [p.hubspot_object(900 + i, at, {"hs_engagement_type": "call",
                                                                "hs_timestamp": "1764000000000"}) for i in range(2)],
    }


def round_two() -> dict[str, list[dict]]:
    """Updates (some arriving out of order), new objects and a deletion."""
    at = T + timedelta(days=1)
    late = T + timedelta(minutes=30)  # older than what staging already has: must not win
    return {
        "shopify_customers": [p.shopify_customer(1, at, email="ADA.NEW@example.com", first_name="Adele"),
                              p.shopify_customer(20, at)],
        "shopify_orders": [p.shopify_order(3, 3, at, total="60.00", financial_status="refunded"),
                           p.shopify_order(4, 4, late, total="1.00"),
                           p.shopify_order(30, 20, at, total="999.99")],
        "stripe_customers": [p.stripe_customer(9, at, "customer.deleted")],
        "stripe_charges": [p.stripe_charge(3, 5, at, amount=4000, amount_refunded=4000, refunded=True,
                                           event_type="charge.refunded"),
                           p.stripe_charge(11, 6, at, amount=777)],
        "stripe_refunds": [p.stripe_refund(2, 3, at, amount=4000)],
        "stripe_disputes": [p.stripe_dispute(1, 2, at, status="lost")],
        "hubspot_contacts": [p.hubspot_event("contact", 105, at, "firstname", "Gracie"),
                             p.hubspot_event("contact", 105, late, "firstname", "Stale"),
                             p.hubspot_event("contact", 111, at, change="deletion")],
        "hubspot_deals": [p.hubspot_event("deal", 701, at, "dealstage", "closedwon")],
    }
