"""Scoring an entity assignment against ground truth (icefloe/er_truth.py), and the generated run
the ground-truth benchmark and integration test feed to the pipeline."""

import pytest

from icefloe.er_truth import PERSON_TABLES, TRUTH_OBJECT, errors, generate, score, split_deliveries


def test_pairwise_scores_count_pairs_inside_entities_and_people():
    truth = {"a": "P1", "b": "P1", "c": "P1", "d": "P2", "e": "P3"}
    # a+b together (1 true pair), c alone (2 true pairs missed), d+e fused (1 false pair)
    assignment = {"a": "E1", "b": "E1", "c": "E2", "d": "E3", "e": "E3", "x": "E9"}
    s = score(assignment, truth)
    assert (s.true_pairs, s.predicted_pairs, s.true_positive_pairs) == (3, 2, 1)
    assert s.precision == pytest.approx(0.5) and s.recall == pytest.approx(1 / 3)
    assert s.f1 == pytest.approx(0.4)
    assert (s.records, s.unscored, s.people, s.entities) == (5, 1, 3, 3)
    assert (s.people_exact, s.people_split, s.entities_fused) == (0, 1, 1)
    assert (s.largest_entity, s.largest_person) == (2, 3)
    wrong, missed = errors(assignment, truth)
    assert wrong == [("d", "e")] and missed == [("a", "c"), ("b", "c")]


def test_a_perfect_assignment_scores_one_whatever_the_entity_ids():
    truth = {"a": "P1", "b": "P1", "c": "P2"}
    s = score({"a": "x", "b": "x", "c": "y"}, truth)
    assert (s.precision, s.recall, s.f1, s.people_exact) == (1.0, 1.0, 1.0, 2)


def test_the_generated_run_has_a_truth_for_every_person_record_it_delivers():
    run = generate(scale=0.01, seed=3)
    assert set(run.payloads) == set(PERSON_TABLES) and all(run.payloads.values())
    truth = run.record_truth()
    assert {rid.split("|")[0] for rid in truth} == set(TRUTH_OBJECT)
    shopify_ids = {str(p["id"]) for p in run.payloads["shopify_customers"]}
    stripe_ids = {p["data"]["object"]["id"] for p in run.payloads["stripe_customers"]}
    hubspot_ids = {str(p.get("objectId", p.get("id"))) for p in run.payloads["hubspot_contacts"]}
    assert {f"shopify|{i}" for i in shopify_ids} <= truth.keys()
    assert {f"stripe|{i}" for i in stripe_ids} <= truth.keys()
    assert {f"hubspot|{i}" for i in hubspot_ids} <= truth.keys()
    # the CRM backfill carries every property of the contacts (webhooks: the subscribed ones)
    crm = [p for p in run.payloads["hubspot_contacts"] if "properties" in p]
    assert crm and all("city" in p["properties"] for p in crm)
    # several sources know the same person: there is something to link
    people = {}
    for rid, person in truth.items():
        people.setdefault(person, set()).add(rid.split("|")[0])
    assert sum(1 for s in people.values() if len(s) > 1) > 10


def test_deliveries_split_in_order_into_two_parts():
    first, rest = split_deliveries({"t": list(range(10))}, 0.3)
    assert first["t"] == [0, 1, 2] and rest["t"] == list(range(3, 10))


def test_linkable_groups_join_a_persons_records_only_on_evidence_a_namesake_or_relative_cannot_share():
    from icefloe.er_truth import linkable_groups

    town = {"city": "Leeds", "postcode": "LS1"}
    records = [
        {"source": "shop", "id": "1", "first_name": "Ann", "last_name": "Lee", "email": "ann.lee@mail.com", **town},
        {"source": "crm", "id": "2", "email": "ANN.LEE+news@mail.com"},  # her mailbox: linkable
        {"source": "crm", "id": "3", "first_name": "Ann", "last_name": "Lee", "email": "a.lee@work.com", **town},
        {"source": "pay", "id": "4", "first_name": "Bo", "last_name": "Lee", "email": "thelees@mail.com", **town},
        {"source": "pay", "id": "5", "first_name": "Ann", "last_name": "Lee", "email": "thelees@mail.com", **town},
    ]
    truth = {"shop|1": "ann", "crm|2": "ann", "crm|3": "ann", "pay|4": "bo", "pay|5": "ann"}
    groups, unfair = linkable_groups(records, truth)
    assert groups["shop|1"] == groups["crm|2"]
    # a name and a town only (a namesake has them too), a household mailbox: other groups
    assert len({groups["shop|1"], groups["crm|3"], groups["pay|5"]}) == 3
    assert sum(unfair.values()) == 5  # ann's pairs across her three groups
    s = score({"shop|1": "E1", "crm|2": "E1", "crm|3": "E2", "pay|4": "E3", "pay|5": "E4"}, truth, groups)
    assert s.recall_linkable == 1.0 and s.linkable_pairs == 1 and s.recall < 1.0
