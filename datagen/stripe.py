"""Stripe API objects and the `event` envelope webhooks deliver them in.

Customers, charges (with `outcome` and Radar risk), payment intents, refunds, disputes and
subscriptions. Field names and JSON types follow Stripe's published fixtures (checked in
tests/unit/datagen against `fixtures3.json` and the `stripe` SDK's types); every top-level field
Stripe always sends is present, `null` where it does not apply.
"""

from __future__ import annotations

import random

from icefloe.datagen.common import StripeIds
from icefloe.datagen.population import Account

API_VERSION = "2025-10-29.clover"
CURRENCY = "usd"
CARDS = (
    ("visa", "credit", "4242"),
    ("visa", "debit", "1881"),
    ("mastercard", "credit", "4444"),
    ("mastercard", "debit", "8210"),
    ("amex", "credit", "8431"),
    ("discover", "credit", "1117"),
)
DECLINES = (
    ("card_declined", "generic_decline", "The bank did not return any further details."),
    ("card_declined", "insufficient_funds", "The card has insufficient funds."),
    ("expired_card", "expired_card", "The card has expired."),
    ("incorrect_cvc", "incorrect_cvc", "The CVC number is incorrect."),
)
PLANS = (
    ("price_basic_monthly", "prod_basic", 900),
    ("price_pro_monthly", "prod_pro", 2900),
    ("price_team_monthly", "prod_team", 9900),
)


def _null_address(addr=None) -> dict:
    if addr is None:
        return {
            "city": None,
            "country": None,
            "line1": None,
            "line2": None,
            "postal_code": None,
            "state": None,
        }
    return {
        "city": addr.city,
        "country": addr.country_code,
        "line1": addr.address1,
        "line2": None,
        "postal_code": addr.zip,
        "state": addr.province_code,
    }


def event(ids: StripeIds, rng: random.Random, type_: str, obj: dict, created: float) -> dict:
    """Wrap an object in the envelope Stripe POSTs to a webhook endpoint."""
    return {
        "id": ids.make("evt", 24),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(created),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": ids.make("req", 14), "idempotency_key": f"{rng.getrandbits(128):032x}"}
        if not type_.startswith(("charge.dispute", "customer.subscription.updated"))
        else {"id": None, "idempotency_key": None},
        "type": type_,
    }


def customer(ids: StripeIds, account: Account, created: float) -> dict:
    ident = account.identity
    name = f"{ident.first_name} {ident.last_name}" if ident.first_name and ident.last_name else None
    cid = ids.make("cus", 14)
    return {
        "id": cid,
        "object": "customer",
        "address": _null_address(ident.address),
        "balance": 0,
        "created": int(created),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": ident.email,
        "invoice_prefix": cid[4:12].upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {"person_source": "signup"} if account.index % 7 == 0 else {},
        "name": name,
        "next_invoice_sequence": 1,
        "phone": ident.phone,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def customer_updated(cust: dict, **changes: object) -> dict:
    return dict(cust, **changes)


def card_details(rng: random.Random, fingerprint: str) -> tuple[dict, str]:
    brand, funding, last4 = rng.choice(CARDS)
    country = "US" if rng.random() < 0.93 else rng.choice(("GB", "CA", "BR", "NG", "RU", "ID"))
    return {
        "card": {
            "amount_authorized": None,
            "brand": brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": "pass", "cvc_check": "pass"},
            "country": country,
            "exp_month": rng.randint(1, 12),
            "exp_year": rng.randint(2027, 2032),
            "extended_authorization": {"status": "disabled"},
            "fingerprint": fingerprint,
            "funding": funding,
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": last4,
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": brand,
            "network_token": {"used": False},
            "overcapture": {"maximum_amount_capturable": 0, "status": "unavailable"},
            "three_d_secure": None,
            "wallet": None,
            "authorization_code": f"{rng.randint(0, 999999):06d}",
            "regulated_status": "unregulated",
            "network_transaction_id": f"{rng.getrandbits(50)}",
            "transaction_link_id": None,
        },
        "type": "card",
    }, country


def outcome(rng: random.Random, *, failed: bool, fraudulent: bool) -> tuple[dict, tuple | None]:
    """`outcome` with Radar's `risk_level` and `risk_score` (present for accounts with Radar)."""
    if fraudulent:
        score = rng.randint(76, 99)
        if failed:
            return (
                {
                    "advice_code": "do_not_try_again",
                    "network_advice_code": None,
                    "network_decline_code": None,
                    "network_status": "not_sent_to_network",
                    "reason": "highest_risk_level",
                    "risk_level": "highest",
                    "risk_score": score,
                    "seller_message": "Stripe blocked this payment as too risky.",
                    "type": "blocked",
                },
                ("card_declined", "fraudulent", "Your card was declined."),
            )
        return (
            {
                "advice_code": None,
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "approved_by_network",
                "reason": "elevated_risk_level",
                "risk_level": "elevated",
                "risk_score": score,
                "seller_message": (
                    "Stripe evaluated this payment as having elevated risk, "
                    "and placed it in your manual review queue."
                ),
                "type": "manual_review",
            },
            None,
        )
    if failed:
        decline = rng.choice(DECLINES)
        return (
            {
                "advice_code": "try_again_later",
                "network_advice_code": None,
                "network_decline_code": "05",
                "network_status": "declined_by_network",
                "reason": decline[1],
                "risk_level": "normal",
                "risk_score": rng.randint(5, 60),
                "seller_message": "The bank returned the decline code " f"`{decline[1]}`.",
                "type": "issuer_declined",
            },
            decline,
        )
    return (
        {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": rng.randint(0, 64),
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        None,
    )


def payment_intent(
    ids: StripeIds,
    rng: random.Random,
    customer_id: str | None,
    amount: int,
    created: float,
    description: str | None,
    metadata: dict,
) -> dict:
    pid = ids.make("pi", 24)
    return {
        "id": pid,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": {"enabled": True},
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{pid}_secret_{ids.make('x', 25)[2:]}",
        "confirmation_method": "automatic",
        "created": int(created),
        "currency": CURRENCY,
        "customer": customer_id,
        "description": description,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
        "excluded_payment_method_types": None,
        "customer_account": None,
        "managed_payments": None,
    }


def charge(
    ids: StripeIds,
    rng: random.Random,
    intent: dict,
    account: Account | None,
    created: float,
    *,
    failed: bool = False,
    fraudulent: bool = False,
    card: dict | None = None,
    payment_method: str | None = None,
) -> dict:
    """A charge for a payment intent; on failure `failure_code`/`failure_message` and `status=failed`.

    `card` (`payment_method_details`) and `payment_method`: pass the account's own to keep a person's
    card (brand, last4, fingerprint) the same across charges, as it is.
    """
    ident = account.identity if account else None
    chid = ids.make("ch", 24)
    pmd = card or card_details(rng, ids.make("fp", 16)[3:])[0]
    out, decline = outcome(rng, failed=failed, fraudulent=fraudulent)
    name = f"{ident.first_name} {ident.last_name}" if ident and ident.first_name and ident.last_name else None
    amount = intent["amount"]
    return {
        "id": chid,
        "object": "charge",
        "amount": amount,
        "amount_captured": 0 if failed else amount,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None if failed else ids.make("txn", 24),
        "billing_details": {
            "address": _null_address(ident.address if ident else None),
            "email": ident.email if ident else None,
            "name": name,
            "phone": ident.phone if ident else None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "ICEFLOE SHOP",
        "captured": not failed,
        "created": int(created),
        "currency": CURRENCY,
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": decline[0] if decline else None,
        "failure_message": decline[2] if decline else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": intent["metadata"],
        "on_behalf_of": None,
        "outcome": out,
        "paid": not failed,
        "payment_intent": intent["id"],
        "payment_method": payment_method or ids.make("pm", 24),
        "payment_method_details": pmd,
        "receipt_email": ident.email if ident and not failed else None,
        "receipt_number": None,
        "receipt_url": None if failed else f"https://pay.stripe.com/receipts/payment/{ids.make('r', 40)[2:]}",
        "refunded": False,
        "refunds": {"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{chid}/refunds"},
        "review": ids.make("prv", 24) if out["type"] == "manual_review" else None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "failed" if failed else "succeeded",
        "transfer_data": None,
        "transfer_group": None,
        "source": None,
    }


def intent_succeeded(intent: dict, ch: dict) -> dict:
    return dict(
        intent,
        amount_received=intent["amount"],
        latest_charge=ch["id"],
        payment_method=ch["payment_method"],
        status="succeeded",
    )


def intent_failed(intent: dict, ch: dict) -> dict:
    err = {
        "charge": ch["id"],
        "code": ch["failure_code"],
        "decline_code": ch["outcome"]["reason"],
        "doc_url": f"https://stripe.com/docs/error-codes/{ch['failure_code'].replace('_', '-')}",
        "message": ch["failure_message"],
        "type": "card_error",
    }
    return dict(intent, last_payment_error=err, latest_charge=ch["id"], status="requires_payment_method")


def refund(ids: StripeIds, ch: dict, amount: int, created: float, reason: str | None) -> dict:
    return {
        "id": ids.make("re", 24),
        "object": "refund",
        "amount": amount,
        "balance_transaction": ids.make("txn", 24),
        "charge": ch["id"],
        "created": int(created),
        "currency": CURRENCY,
        "destination_details": {"card": {"type": "refund"}, "type": "card"},
        "metadata": {},
        "payment_intent": ch["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
        "customer": ch["customer"],
        "customer_account": None,
        "payment_method": ch["payment_method"],
    }


def charge_refunded(ch: dict, rf: dict) -> dict:
    refunded_total = ch["amount_refunded"] + rf["amount"]
    return dict(
        ch,
        amount_refunded=refunded_total,
        refunded=refunded_total >= ch["amount"],
        refunds=dict(ch["refunds"], data=[rf]),
    )


EVIDENCE_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


def dispute(ids: StripeIds, rng: random.Random, ch: dict, created: float, reason: str) -> dict:
    evidence = dict.fromkeys(EVIDENCE_FIELDS)
    evidence["enhanced_evidence"] = {}
    card = ch["payment_method_details"]["card"]
    return {
        "id": ids.make("du", 24),
        "object": "dispute",
        "amount": ch["amount"],
        "balance_transactions": [],
        "charge": ch["id"],
        "created": int(created),
        "currency": CURRENCY,
        "evidence": evidence,
        "evidence_details": {
            "due_by": int(created) + 21 * 86400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
            "enhanced_eligibility": {},
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": ch["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": card["brand"],
                "case_type": "chargeback",
                "network_reason_code": "10.4" if reason == "fraudulent" else "13.1",
                "network": card["network"],
            },
            "type": "card",
        },
        "reason": reason,
        "status": "needs_response",
        "enhanced_eligibility_types": [],
    }


def dispute_updated(dp: dict, at: float) -> dict:
    ev = dict(
        dp["evidence"],
        uncategorized_text="Customer signed for delivery; tracking attached.",
        shipping_tracking_number="1Z999AA10123456784",
    )
    details = dict(dp["evidence_details"], has_evidence=True, submission_count=1)
    return dict(dp, evidence=ev, evidence_details=details, status="under_review")


def dispute_closed(dp: dict, won: bool) -> dict:
    return dict(dp, status="won" if won else "lost")


def subscription(ids: StripeIds, rng: random.Random, customer_id: str, created: float) -> dict:
    price_id, product_id, amount = rng.choice(PLANS)
    sid = ids.make("sub", 24)
    start = int(created)
    trial = rng.random() < 0.3
    return {
        "id": sid,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False, "liability": None, "disabled_reason": None},
        "billing_cycle_anchor": start + (14 * 86400 if trial else 0),
        "billing_cycle_anchor_config": None,
        "cancel_at": None,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": start,
        "currency": CURRENCY,
        "customer": customer_id,
        "days_until_due": None,
        "default_payment_method": ids.make("pm", 24),
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": {
            "object": "list",
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={sid}",
            "data": [
                {
                    "id": ids.make("si", 14),
                    "object": "subscription_item",
                    "created": start,
                    "discounts": [],
                    "metadata": {},
                    "quantity": 1,
                    "subscription": sid,
                    "tax_rates": [],
                    "current_period_start": start,
                    "current_period_end": start + 30 * 86400,
                    "billing_thresholds": None,
                    "price": {
                        "id": price_id,
                        "object": "price",
                        "active": True,
                        "billing_scheme": "per_unit",
                        "created": 1_700_000_000,
                        "currency": CURRENCY,
                        "custom_unit_amount": None,
                        "livemode": False,
                        "lookup_key": None,
                        "metadata": {},
                        "nickname": None,
                        "product": product_id,
                        "recurring": {
                            "interval": "month",
                            "interval_count": 1,
                            "meter": None,
                            "usage_type": "licensed",
                            "trial_period_days": None,
                        },
                        "tax_behavior": "unspecified",
                        "tiers_mode": None,
                        "transform_quantity": None,
                        "type": "recurring",
                        "unit_amount": amount,
                        "unit_amount_decimal": str(amount),
                    },
                    "plan": {
                        "id": price_id,
                        "object": "plan",
                        "active": True,
                        "amount": amount,
                        "amount_decimal": str(amount),
                        "billing_scheme": "per_unit",
                        "created": 1_700_000_000,
                        "currency": CURRENCY,
                        "interval": "month",
                        "interval_count": 1,
                        "livemode": False,
                        "metadata": {},
                        "meter": None,
                        "nickname": None,
                        "product": product_id,
                        "tiers_mode": None,
                        "transform_usage": None,
                        "trial_period_days": None,
                        "usage_type": "licensed",
                    },
                }
            ],
        },
        "latest_invoice": ids.make("in", 24),
        "livemode": False,
        "metadata": {},
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": start,
        "status": "trialing" if trial else "active",
        "test_clock": None,
        "transfer_data": None,
        "trial_end": start + 14 * 86400 if trial else None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": start if trial else None,
        "cancel_at_period_end": False,
        "billing_thresholds": None,
        "billing_mode": {"type": "classic"},
        "customer_account": None,
        "managed_payments": None,
        "billing_schedules": [],
    }


def subscription_updated(sub: dict, **changes: object) -> dict:
    return dict(sub, **changes)


def subscription_deleted(sub: dict, at: float, reason: str) -> dict:
    return dict(
        sub,
        status="canceled",
        canceled_at=int(at),
        ended_at=int(at),
        cancellation_details={"comment": None, "feedback": None, "reason": reason},
    )
