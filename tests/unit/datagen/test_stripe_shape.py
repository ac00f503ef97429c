"""Stripe bodies against two independent descriptions of Stripe's API.

1. Stripe's published fixtures (`shared/data/stripe/fixtures3.json`, from stripe/openapi): every
   field we emit exists there with the same JSON type, and every top-level field of the object and
   of the event envelope (what Stripe always sends) is present.
2. Where the fixture cannot say (its value is `null`, or the field is one the fixture omits because
   it is conditional, like Radar's `outcome.risk_level`), the official `stripe` SDK's type hints decide:
   the field must exist on the SDK class and accept our JSON type (or `None`).
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path

import orjson
import pytest
import stripe
from stripe._object_classes import get_object_class

from icefloe import PROJECT_ROOT

FIXTURES = next(
    (
        p
        for p in (
            PROJECT_ROOT.parent / "shared" / "data" / "stripe" / "fixtures3.json",
            Path("/work/shared/data/stripe/fixtures3.json"),
        )
        if p.exists()
    ),
    None,
)
SDK_CLASSES = {
    "customer": stripe.Customer,
    "charge": stripe.Charge,
    "payment_intent": stripe.PaymentIntent,
    "refund": stripe.Refund,
    "dispute": stripe.Dispute,
    "subscription": stripe.Subscription,
    "event": stripe.Event,
}
# free-form maps: any string keys (Stripe `metadata`) are not schema fields
FREE_MAPS = {"metadata"}
# Conditional fields the fixture omits; each must be confirmed by the SDK (checked below).
SDK_ONLY_ALLOWED = {
    ("charge", "outcome.risk_level"),
    ("charge", "outcome.risk_score"),
    ("payment_intent", "last_payment_error.charge"),
    ("payment_intent", "last_payment_error.code"),
    ("payment_intent", "last_payment_error.decline_code"),
    ("payment_intent", "last_payment_error.doc_url"),
    ("payment_intent", "last_payment_error.message"),
    ("dispute", "evidence.uncategorized_text"),
    ("dispute", "evidence.shipping_tracking_number"),
}


@pytest.fixture(scope="module")
def fixtures() -> dict:
    if FIXTURES is None:
        pytest.fail(
            "Stripe fixtures not found: expected ../shared/data/stripe/fixtures3.json beside the repo"
        )
    return json.loads(FIXTURES.read_text())["resources"]


def _json_type(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _sdk_field(cls: type | None, name: str) -> object | None:
    if cls is None:
        return None
    for klass in cls.__mro__:
        ann = klass.__dict__.get("__annotations__", {})
        if name in ann:
            return ann[name]
    return None


def _sdk_classes(annotation: object, owner: type) -> list[type]:
    """Classes an annotation refers to (resolving ForwardRef names against the owner and `stripe`)."""
    out = []
    for arg in typing.get_args(annotation) or (annotation,):
        if isinstance(arg, typing.ForwardRef):
            arg = getattr(owner, arg.__forward_arg__, None) or getattr(stripe, arg.__forward_arg__, None)
        if isinstance(arg, type) and arg is not type(None):
            out.append(arg)
        elif typing.get_args(arg):
            out.extend(_sdk_classes(arg, owner))
    return out


def _sdk_accepts(annotation: object, owner: type, value: object) -> bool:
    """Does the SDK's annotation admit a JSON value of this type?"""
    args = typing.get_args(annotation)
    if value is None:
        return type(None) in args
    jt = _json_type(value)
    text = repr(annotation)
    if jt == "string":
        # Stripe sends decimals as strings ("2000"); the SDK parses them into Decimal
        return "str" in text or "Literal" in text or "ExpandableField" in text or "Decimal" in text
    if jt == "integer":
        return "int" in text
    if jt == "boolean":
        return "bool" in text
    if jt == "array":
        return "List" in text or "list" in text
    if jt == "object":
        return bool(_sdk_classes(annotation, owner)) or "Dict" in text or "StripeObject" in text
    return False


def _resource_class(value: dict) -> type | None:
    """A nested Stripe resource (`{"object": "price", ...}`) is described by its own SDK class."""
    name = value.get("object")
    if not isinstance(name, str) or name == "list":
        return None
    try:
        cls = get_object_class("V1", name)
        return None if cls is stripe.StripeObject else cls
    except Exception:  # noqa: BLE001 - an unknown name simply has no class
        return None


def check(
    kind: str, value: dict, fixture: dict | None, cls: type | None, path: str, problems: list[str]
) -> None:
    for key, v in value.items():
        here = f"{path}{key}"
        if key in FREE_MAPS:
            if not (isinstance(v, dict) and all(isinstance(x, str) for x in v.values())):
                problems.append(f"{kind}.{here}: metadata must map strings to strings")
            continue
        ann = _sdk_field(cls, key)
        fx_has = isinstance(fixture, dict) and key in fixture
        fv = fixture.get(key) if fx_has else None
        if not fx_has:
            if (kind, here) not in SDK_ONLY_ALLOWED:
                problems.append(f"{kind}.{here}: not in Stripe's fixture")
                continue
            if ann is None or not _sdk_accepts(ann, cls, v):
                problems.append(
                    f"{kind}.{here}: allowed as conditional, but the stripe SDK does not declare it "
                    f"as {_json_type(v)} (annotation {ann!r})"
                )
            continue
        if v is None or fv is None:
            if v is not None or fv is not None:
                # one side null: nullability / type from the SDK
                if ann is None or not _sdk_accepts(ann, cls, v):
                    problems.append(
                        f"{kind}.{here}: {_json_type(v)} here, fixture has {_json_type(fv)}, and the "
                        f"SDK annotation {ann!r} does not allow it"
                    )
            continue
        if _json_type(v) != _json_type(fv):
            problems.append(f"{kind}.{here}: {_json_type(v)} here, {_json_type(fv)} in Stripe's fixture")
            continue
        sub_cls = next(iter(_sdk_classes(ann, cls)), None) if ann is not None else None
        if isinstance(v, dict):
            check(kind, v, fv, _resource_class(v) or sub_cls, f"{here}.", problems)
        elif isinstance(v, list) and v and fv and isinstance(v[0], dict):
            for item in v:
                check(kind, item, fv[0], _resource_class(item) or sub_cls, f"{here}[].", problems)


def stripe_events(run: dict) -> list[dict]:
    return [orjson.loads(e.body_bytes()) for e in run["events"] if e.provider == "stripe"]


def test_every_stripe_object_type_is_generated(runs):
    kinds = {ev["data"]["object"]["object"] for run in runs.values() for ev in stripe_events(run)}
    assert kinds >= {"customer", "charge", "payment_intent", "refund", "dispute", "subscription"}


def test_stripe_fields_exist_in_the_official_fixtures_with_the_same_json_type(runs, fixtures):
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for run in runs.values():
        for ev in stripe_events(run):
            obj = ev["data"]["object"]
            kind = obj["object"]
            key = (kind, ev["type"])
            if key in seen and len(seen) > 40:
                continue
            seen.add(key)
            envelope = {k: v for k, v in ev.items() if k != "data"}
            check("event", envelope, fixtures["event"], stripe.Event, "", problems)
            check(kind, obj, fixtures[kind], SDK_CLASSES[kind], "", problems)
    assert not sorted(set(problems)), "\n".join(sorted(set(problems)))


def test_fields_stripe_always_sends_are_present(runs, fixtures):
    missing = set()
    for run in runs.values():
        for ev in stripe_events(run):
            obj = ev["data"]["object"]
            missing |= {f"event.{k}" for k in fixtures["event"] if k not in ev}
            missing |= {f"event.data.{k}" for k in fixtures["event"]["data"] if k not in ev["data"]}
            missing |= {f"{obj['object']}.{k}" for k in fixtures[obj["object"]] if k not in obj}
    assert not missing, sorted(missing)


def test_conditional_fields_are_confirmed_by_the_sdk():
    for kind, path in SDK_ONLY_ALLOWED:
        cls: object = SDK_CLASSES[kind]
        *parents, leaf = path.split(".")
        for p in parents:
            cls = next(iter(_sdk_classes(_sdk_field(cls, p), cls)))
        assert _sdk_field(cls, leaf) is not None, f"{kind}.{path} is not a field of the stripe SDK"


def test_the_checker_rejects_a_field_stripe_does_not_have(fixtures):
    problems: list[str] = []
    check("charge", {"amount": 100, "amout_typo": 1}, fixtures["charge"], stripe.Charge, "", problems)
    check("charge", {"amount": "100"}, fixtures["charge"], stripe.Charge, "", problems)
    assert len(problems) == 2, problems


def test_charges_carry_outcome_with_radar_risk(normal_day):
    charges = [
        ev["data"]["object"]
        for ev in stripe_events(normal_day)
        if ev["type"].startswith("charge.") and ev["data"]["object"]["object"] == "charge"
    ]
    assert charges
    for ch in charges:
        assert ch["outcome"]["risk_level"] in {"normal", "elevated", "highest"}
        assert isinstance(ch["outcome"]["risk_score"], int)
        assert (ch["status"] == "failed") == (ch["failure_code"] is not None)


def test_sdk_parses_every_event_as_a_stripe_event(normal_day):
    for ev in stripe_events(normal_day)[:300]:
        parsed = stripe.Event.construct_from(ev, "sk_test_x")
        assert parsed.data.object.id == ev["data"]["object"]["id"]
        assert isinstance(parsed, stripe.Event)
        assert not isinstance(parsed.data.object, types.SimpleNamespace)
