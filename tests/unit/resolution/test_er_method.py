"""Blocking, scoring, explanations and anti-chaining of the method, run on DuckDB."""

from icefloe.resolve import LocalResolver, er_core

core = er_core()


def word(i: int, salt: str) -> str:
    """A made-up name, far (in edit distance) from the one for i + 1."""
    import hashlib

    return "".join(c for c in hashlib.md5(f"{salt}{i}".encode()).hexdigest() if c.isalpha())[:3] + \
        hashlib.md5(f"{salt}{i}".encode()).hexdigest()[:5].translate(str.maketrans("0123456789", "klmnopqrst"))


def person(i, **over):
    base = {"id": str(i), "source": "crm", "first_name": word(i, "f"), "last_name": word(i, "l"),
            "dob": f"19{50 + i % 40:02d}{1 + i % 12:02d}{1 + i % 27:02d}", "email": f"user{i}@example.com",
            "phone": f"+1 415 555 {1000 + i:04d}", "street_number": str(i), "street": f"{word(i, 's')} road",
            "city": "springfield", "postcode": f"{10000 + i}"}
    base.update(over)
    return base


def resolve(records, **params):
    r = LocalResolver(core.Params(**params) if params else None)
    result = r.add(records)
    return r, result


def test_a_pair_with_swapped_names_and_nothing_else_shared_is_still_a_candidate():
    a = {"id": "1", "first_name": "Smith", "last_name": "Anna", "dob": "1980-01-02"}
    b = {"id": "2", "first_name": "Anna", "last_name": "Smith", "dob": "1980-01-02"}
    r, result = resolve([a, b, {"id": "3", "first_name": "Bob", "last_name": "Jones"}])
    pairs = r.engine.rows("SELECT rid_l, rid_r FROM er_pairs")
    assert pairs == [{"rid_l": "records|1", "rid_r": "records|2"}]
    assert result.candidate_pairs == 1
    ent = r.entities()
    assert ent["records|1"] == ent["records|2"] != ent["records|3"]


def test_records_sharing_no_blocking_key_are_never_compared():
    r, result = resolve([person(1), person(2), person(3)])
    assert result.candidate_pairs == 0 and result.entities == 3


def test_each_link_explains_the_comparisons_that_made_it():
    a = person(1)
    b = person(1, id="1b", source="shop", email="USER1@example.com ", phone="415-555-1001", first_name=word(1, "f") + "a")
    r, _ = resolve([a, b])
    (link,) = r.links()
    assert link["match_probability"] > 0.99
    why = link["explanation"]
    assert "email=exact(+19.8)" in why and "phone=exact(+16.4)" in why and "first_name=fuzzy" in why
    weights = [float(t.rsplit("(", 1)[1].rstrip(")")) for t in why.split(", ")]
    # the explanation adds up to the weight (address evidence capped, plus the prior)
    assert abs(link["match_weight"] - (sum(weights) + core.Params().prior_weight)) < 20.0 + 0.01


def test_the_same_name_alone_is_not_enough_to_link():
    a = {"id": "1", "first_name": "John", "last_name": "Smith", "dob": "1970-01-01", "city": "Leeds"}
    b = {"id": "2", "first_name": "John", "last_name": "Smith", "dob": "1991-06-30", "city": "Bath"}
    r, result = resolve([a, b])
    assert result.candidate_pairs == 1 and r.links() == []


def test_one_shared_phone_does_not_fuse_a_hundred_people():
    hub = "+1 212 555 0100"  # a call centre number typed into every record
    records = [person(i, phone=hub, email=None) for i in range(100)]
    r, result = resolve(records)
    assert result.entities == 100
    # the phone block is too large to yield pairs, and agreeing on so common a value is no evidence
    assert r.engine.rows("SELECT count(*) AS n FROM er_levels WHERE phone = 'exact'")[0]["n"] == 0


def test_a_shared_email_within_the_key_frequency_guard_still_links_a_household_pair():
    a = person(1, phone=None)
    b = person(1, id="1b", phone=None, first_name=None, dob=None)
    r, result = resolve([a, b])
    assert result.entities == 1


def test_a_chain_of_strong_links_is_cut_at_the_cluster_size_cap():
    # record i shares its email with i-1 or i+1 and its phone with the other: a 40-record chain
    recs = [{"id": str(i), "email": f"e{i // 2}@x.com", "phone": f"+1 303 555 {(i + 1) // 2:04d}"}
            for i in range(40)]
    r, result = resolve(recs, max_cluster_size=10)
    assert result.split_clusters == 1
    assert result.largest_entity <= 10
    # without the cap the same links make one entity
    _, uncapped = resolve(recs, max_cluster_size=1000)
    assert uncapped.largest_entity == 40


def test_a_household_mailbox_does_not_fuse_two_people_with_different_first_names():
    home = {"last_name": "Wong", "email": "thewongs@gmail.com", "city": "Cathyport", "state": "AZ",
            "postcode": "86251"}
    shelly = {"id": "1", "source": "shop", "first_name": "Shelly", "phone": "(598) 747-3970", **home}
    dean = {"id": "2", "source": "crm", "first_name": "Dean", "phone": "472 741 4492", **home}
    shelly_again = {"id": "3", "source": "crm", "first_name": "Shelly", "phone": "+1 598 747 3970", **home}
    r, _ = resolve([shelly, dean, shelly_again])
    ent = r.entities()
    assert ent["shop|1"] == ent["crm|3"] != ent["crm|2"]
    levels = {(x["rid_l"], x["rid_r"]): x["email"] for x in r.engine.rows("SELECT * FROM er_levels")}
    assert levels[("crm|2", "shop|1")] == "shared"


def test_a_plus_tag_on_any_domain_still_finds_the_mailbox():
    a = {"id": "1", "source": "shop", "email": "mary.rice+shop@acme-example.com", "city": "Leeds"}
    b = {"id": "2", "source": "crm", "email": "Mary.Rice@acme-example.com", "first_name": "Mary", "last_name": "Rice"}
    r, _ = resolve([a, b])
    assert r.entities()["shop|1"] == r.entities()["crm|2"]
    assert "email=alias(+" in r.links()[0]["explanation"]


def test_a_town_and_postcode_weigh_less_than_a_street_address():
    same_town = {"city": "Leeds", "state": "West Yorkshire", "postcode": "LS1 4AP"}
    a = {"id": "1", "first_name": "Ann", "last_name": "Lee", **same_town}
    b = {"id": "2", "first_name": "Ann", "last_name": "Lee", "street": "1 Park Row", **same_town}
    c = {"id": "3", "first_name": "Ann", "last_name": "Lee", "street": "1 Park Row", **same_town}
    r, _ = resolve([a, b, c])
    weights = {(x["rid_l"], x["rid_r"]): x["match_weight"] for x in r.engine.rows(core.score_sql(core.Params()))}
    area = weights[("records|1", "records|2")]
    street = weights[("records|2", "records|3")]
    assert street - area >= core.Params().address_cap - core.Params().area_cap - 1e-6
