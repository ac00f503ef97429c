"""Scenarios: routing, lifecycles, delivery faults, determinism, exact ids, and ground truth."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict

import orjson
import pytest

from icefloe.datagen.output import write_run
from icefloe.datagen.scenarios import FaultConfig, Generator
from icefloe.sources import load_sources


def test_every_generated_event_type_is_routed_by_sources_yaml(runs):
    catalog = load_sources()
    for run in runs.values():
        for ev in run["events"]:
            src = catalog.route(ev.provider, ev.provider_topic)
            assert src is not None, f"{ev.provider} {ev.provider_topic} is not routed by sources.yaml"
            assert src.topic == ev.topic


def test_all_thirteen_topics_get_traffic(runs):
    topics = {ev.topic for run in runs.values() for ev in run["events"]}
    assert topics == set(load_sources().topics) - {load_sources().dead_letter_topic}


def test_ids_above_2_53_survive_serialisation_exactly(normal_day):
    ev = next(e for e in normal_day["events"] if e.provider_topic == "orders/create")
    body = orjson.loads(ev.body_bytes())
    assert body["id"] > 2**53 and str(body["id"]) == ev.object_id
    line = orjson.loads(ev.line())
    assert line["body"]["id"] == body["id"] and str(line["body"]["id"]) == ev.object_id


def test_order_lifecycle_runs_create_paid_fulfilled_refunded_in_time(normal_day):
    by_order = defaultdict(list)
    for ev in normal_day["events"]:
        if ev.topic == "shopify.orders" and ev.fault != "duplicate":
            body = orjson.loads(ev.body_bytes())
            by_order[ev.object_id].append(
                (ev.occurred_at, ev.provider_topic, body["financial_status"], body["fulfillment_status"])
            )
    rank = {
        "orders/create": 0,
        "orders/paid": 1,
        "orders/fulfilled": 2,
        "orders/cancelled": 2,
        "orders/updated": 3,
    }
    refunded = fulfilled = 0
    for steps in by_order.values():
        steps.sort()
        assert steps[0][1] == "orders/create"
        order = [rank[s[1]] for s in steps]
        assert order == sorted(order), steps
        fulfilled += any(s[3] == "fulfilled" for s in steps)
        refunded += steps[-1][2] == "refunded"
    assert fulfilled > 0.5 * len(by_order) and refunded > 0


def test_contact_lifecycle_stage_only_moves_forward(runs):
    stages = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
    seen = defaultdict(list)
    for run in runs.values():
        for ev in sorted(run["events"], key=lambda e: (e.occurred_at, e.seq)):
            b = ev.body
            if (
                ev.provider == "hubspot"
                and b.get("propertyName") == "lifecyclestage"
                and ev.fault != "duplicate"
            ):
                seen[(id(run), b["objectId"])].append(stages.index(b["propertyValue"]))
    assert any(len(v) > 1 for v in seen.values())
    assert all(v == sorted(v) for v in seen.values())


def test_delivery_faults_happen_at_the_configured_rates():
    faults = FaultConfig(duplicate_rate=0.05, out_of_order_rate=0.1, late_rate=0.02)
    events = list(Generator("normal_day", 0.05, 4, faults).events())
    counts = Counter(e.fault for e in events)
    n = len(events)
    assert 0.035 < counts["duplicate"] / n < 0.065
    assert 0.08 < counts["out_of_order"] / n < 0.12
    assert 0.01 < counts["late"] / n < 0.03
    firsts = {}
    for e in events:
        if e.fault == "duplicate":
            assert e.delivery_id in firsts and e.deliver_at >= firsts[e.delivery_id]
        else:
            firsts.setdefault(e.delivery_id, e.deliver_at)
    # events come out in delivery order, so late/out-of-order ones overtake by occurrence time
    assert all(a.deliver_at <= b.deliver_at for a, b in zip(events, events[1:], strict=False))
    assert sum(a.occurred_at > b.occurred_at for a, b in zip(events, events[1:], strict=False)) > 0


def test_no_faults_when_rates_are_zero():
    events = list(Generator("normal_day", 0.03, 4, FaultConfig(0, 0, 0)).events())
    assert not [e for e in events if e.fault]
    assert len({e.delivery_id for e in events}) == len(events)


def test_bad_configuration_names_the_fix():
    with pytest.raises(ValueError, match="choose one of"):
        Generator("black_friday")
    with pytest.raises(ValueError, match="--duplicate-rate"):
        FaultConfig(duplicate_rate=2)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    digests = []
    for i, seed in enumerate((3, 3, 4)):
        write_run(Generator("flash_sale", 0.02, seed), tmp_path / str(i))
        h = hashlib.sha256()
        for f in sorted((tmp_path / str(i)).rglob("*.jsonl")):
            h.update(f.name.encode() + f.read_bytes())
        digests.append(h.hexdigest())
    assert digests[0] == digests[1] != digests[2]


def test_scale_multiplies_traffic():
    small = sum(1 for _ in Generator("normal_day", 0.02, 1).events())
    big = sum(1 for _ in Generator("normal_day", 0.08, 1).events())
    assert 3.0 < big / small < 5.0


def test_flash_sale_spikes_orders_at_noon(runs):
    start = runs["flash_sale"]["gen"].start
    per_hour = Counter(
        int((e.occurred_at - start) // 3600)
        for e in runs["flash_sale"]["events"]
        if e.provider_topic == "orders/create"
    )
    assert per_hour[12] > 5 * per_hour[10]


def test_fraud_attack_brings_blocked_high_risk_charges_and_disputes(runs):
    charges = [
        orjson.loads(e.body_bytes())["data"]["object"]
        for e in runs["fraud_attack"]["events"]
        if e.topic == "stripe.charges"
    ]
    blocked = [c for c in charges if c["outcome"]["type"] == "blocked"]
    assert len(blocked) > 20 and all(c["outcome"]["risk_level"] == "highest" for c in blocked)
    normal_blocked = [
        e
        for e in runs["normal_day"]["events"]
        if e.topic == "stripe.charges"
        and orjson.loads(e.body_bytes())["data"]["object"]["outcome"]["type"] == "blocked"
    ]
    assert not normal_blocked
    disputes = Counter(e.topic for e in runs["fraud_attack"]["events"])["stripe.disputes"]
    assert disputes > Counter(e.topic for e in runs["normal_day"]["events"])["stripe.disputes"]


def test_promotion_blast_sends_email_events_then_promo_orders(runs):
    ev = runs["promotion_blast"]["events"]
    sends = [
        e for e in ev if e.provider == "hubspot" and e.body.get("propertyName") == "hs_email_last_send_date"
    ]
    assert len(sends) > 50
    promo = [e for e in ev if e.provider_topic == "orders/create" and b'"PROMO15"' in e.body_bytes()]
    assert promo


def test_ground_truth_maps_every_source_record_to_a_real_person(runs):
    for run in runs.values():
        people = {p.person_id for p in run["gen"].pop.people}
        truth = {(r["source"], r["object"], r["id"]): r for r in run["truth"]}
        for ev in run["events"]:
            source, obj = ev.topic.split(".")
            if obj == "products":
                continue
            row = truth.get((source, obj, ev.object_id))
            assert row is not None, f"no ground truth for {ev.topic} {ev.object_id}"
            if obj == "companies":
                assert row["company_id"]
            else:
                assert row["person_id"] in people


def test_ground_truth_links_one_person_across_sources(normal_day):
    by_person = defaultdict(set)
    for r in normal_day["truth"]:
        if r["person_id"] and r["object"] in ("customers", "contacts"):
            by_person[r["person_id"]].add(r["source"])
    assert sum(len(s) >= 2 for s in by_person.values()) > 10


def test_hubspot_contact_events_replay_to_the_crm_objects_subscribed_properties(normal_day):
    """Folding each contact's propertyChange events (latest per property) gives the CRM object's value of
    every subscribed property, identity fields included, so staging needs no CRM read to link a contact."""
    from icefloe.datagen.hubspot import CONTACT_WEBHOOK_PROPERTIES

    crm = normal_day["gen"].crm
    last: dict[int, dict[str, str]] = defaultdict(dict)
    for ev in sorted(
        (e for e in normal_day["events"] if e.provider == "hubspot" and e.topic == "hubspot.contacts"),
        key=lambda e: (e.occurred_at, e.seq),
    ):
        if ev.body["subscriptionType"] == "contact.propertyChange":
            last[ev.body["objectId"]][ev.body["propertyName"]] = ev.body["propertyValue"]
    seen = Counter(name for props in last.values() for name in props)
    assert {"phone", "address", "city", "zip", "lifecyclestage"} <= set(seen), seen
    assert set(seen) <= set(CONTACT_WEBHOOK_PROPERTIES), seen
    for obj_id, props in last.items():
        crm_props = crm.objects["contact"][obj_id].api()["properties"]
        want = {k: crm_props[k] for k in CONTACT_WEBHOOK_PROPERTIES if crm_props.get(k) is not None}
        assert props == want, obj_id
