"""Entity resolution scored against the generator's ground truth.

`icefloe.datagen` knows which person is behind every record it emits (`Generator.on_truth`: source,
object, id -> person_id). This module turns a generated run into the raw payloads of the five person
tables (what the webhooks deliver, in delivery order, faults included) plus that truth, and scores an
entity assignment against it:

- pairwise precision, recall and F1: a pair of records is "predicted" when both got the same entity
  id and "true" when both belong to the same person; counted from the contingency table, never by
  listing pairs, so a million records cost nothing;
- cluster figures: entities versus people, people whose records form exactly one entity, entities
  that fuse several people, people split over several entities, the largest entity.

The benchmark (`benchmarks/er_datagen.py`) and the integration test
(`tests/integration/test_er_ground_truth.py`) both use it: raw -> jobs/spark/staging.py -> the Spark
entity-resolution job -> `semantic.entity_index` -> `score`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC
from typing import Any

import orjson

log = logging.getLogger(__name__)

#: raw tables that hold person records (the ER sources read their staging tables)
PERSON_TABLES = ("shopify_customers", "shopify_orders", "stripe_customers", "stripe_charges",
                 "hubspot_contacts")
#: ER source (jobs/spark/conf/er_sources.yaml) -> the (source, object) of its ids in the ground truth
TRUTH_OBJECT = {
    "shopify": ("shopify", "customers"),
    "stripe": ("stripe", "customers"),
    "stripe_charge": ("stripe", "charges"),
    "hubspot": ("hubspot", "contacts"),
}


@dataclass
class GeneratedRun:
    """Raw payloads per raw table (delivery order) and the truth: (source, object, id) -> person id."""

    payloads: dict[str, list[dict]] = field(default_factory=dict)
    truth: dict[tuple[str, str, str], str] = field(default_factory=dict)
    people: int = 0

    def record_truth(self) -> dict[str, str]:
        """ER record id ("<source>|<id>", as in semantic.entity_index.rid) -> person id."""
        out = {}
        for er_source, (source, obj) in TRUTH_OBJECT.items():
            for (s, o, rid), person in self.truth.items():
                if s == source and o == obj and person is not None:
                    out[f"{er_source}|{rid}"] = person
        return out


def generate(scale: float = 0.1, seed: int = 7, scenario: str = "normal_day", crm_backfill: bool = True,
             faults: bool = True) -> GeneratedRun:
    """One generated run, reduced to the person tables.

    HubSpot's contact webhooks carry one property each, for the properties the app subscribes to
    (`CONTACT_WEBHOOK_PROPERTIES`: the identity fields and lifecycle stage); with
    `crm_backfill` the CRM objects (`GET /crm/v3/objects/contacts`, all properties) are appended to
    raw.hubspot_contacts after the webhooks, as a backfill would; stg_hubspot_contacts folds both.
    """
    from icefloe.datagen.scenarios import FaultConfig, Generator

    gen = Generator(scenario, scale, seed, FaultConfig() if faults else FaultConfig(0.0, 0.0, 0.0))
    run = GeneratedRun({t: [] for t in PERSON_TABLES})

    def on_truth(row: dict) -> None:
        run.truth[(row["source"], row["object"], row["id"])] = row["person_id"]

    gen.on_truth = on_truth
    for ev in gen.events():
        table = ev.topic.replace(".", "_")
        if table in run.payloads:
            run.payloads[table].append(orjson.loads(ev.body_bytes()))
    if crm_backfill:
        run.payloads["hubspot_contacts"].extend(gen.crm.snapshot("contact"))
    run.people = len(gen.pop.people)
    log.info("generated %s payloads for %d people", {t: len(p) for t, p in run.payloads.items()}, run.people)
    return run


@dataclass
class Score:
    records: int  # records with a truth (others are ignored)
    unscored: int  # records without a truth
    people: int
    entities: int
    predicted_pairs: int
    true_pairs: int
    true_positive_pairs: int
    precision: float
    recall: float
    f1: float
    people_exact: int  # people whose records are exactly one entity
    people_split: int  # people spread over several entities
    entities_fused: int  # entities holding records of several people
    largest_entity: int
    largest_person: int
    #: true pairs whose records are joined by identifying evidence (see `linkable_groups`), and the
    #: share of them predicted; None when not computed
    linkable_pairs: int | None = None
    recall_linkable: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def score(assignment: Mapping[str, str], truth: Mapping[str, str],
          linkable: Mapping[str, str] | None = None) -> Score:
    """`assignment`: record id -> entity id; `truth`: record id -> person id; `linkable`: record id ->
    its group of records joined by identifying evidence (`linkable_groups`), for `recall_linkable`."""
    scored = [(rid, e) for rid, e in assignment.items() if rid in truth]
    by_entity = Counter(e for _, e in scored)
    by_person = Counter(truth[rid] for rid, _ in scored)
    cells = Counter((e, truth[rid]) for rid, e in scored)
    tp = sum(_pairs(n) for n in cells.values())
    pred = sum(_pairs(n) for n in by_entity.values())
    true = sum(_pairs(n) for n in by_person.values())
    precision = tp / pred if pred else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    entities_of: dict[str, set[str]] = {}
    people_of: dict[str, set[str]] = {}
    for e, p in cells:
        entities_of.setdefault(p, set()).add(e)
        people_of.setdefault(e, set()).add(p)
    exact = sum(1 for p, es in entities_of.items() if len(es) == 1 and len(people_of[next(iter(es))]) == 1)
    linkable_pairs = recall_linkable = None
    if linkable is not None:
        groups = Counter(linkable[rid] for rid, _ in scored if rid in linkable)
        hits = Counter((e, linkable[rid]) for rid, e in scored if rid in linkable)
        linkable_pairs = sum(_pairs(n) for n in groups.values())
        found = sum(_pairs(n) for n in hits.values())
        recall_linkable = round(found / linkable_pairs, 6) if linkable_pairs else 1.0
    return Score(
        linkable_pairs=linkable_pairs, recall_linkable=recall_linkable,
        records=len(scored), unscored=len(assignment) - len(scored), people=len(by_person),
        entities=len(by_entity), predicted_pairs=pred, true_pairs=true, true_positive_pairs=tp,
        precision=round(precision, 6), recall=round(recall, 6), f1=round(f1, 6), people_exact=exact,
        people_split=sum(1 for es in entities_of.values() if len(es) > 1),
        entities_fused=sum(1 for ps in people_of.values() if len(ps) > 1),
        largest_entity=max(by_entity.values(), default=0), largest_person=max(by_person.values(), default=0))


def errors(assignment: Mapping[str, str], truth: Mapping[str, str], limit: int = 20) \
        -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Up to `limit` wrongly linked pairs and missed pairs (record ids), for reading."""
    wrong, missed = [], []
    by_entity: dict[str, list[str]] = {}
    by_person: dict[str, list[str]] = {}
    for rid, e in assignment.items():
        if rid in truth:
            by_entity.setdefault(e, []).append(rid)
            by_person.setdefault(truth[rid], []).append(rid)
    for group, same, out in ((by_entity, lambda a, b: truth[a] == truth[b], wrong),
                             (by_person, lambda a, b: assignment[a] == assignment[b], missed)):
        for rids in group.values():
            rids = sorted(rids)
            for i, a in enumerate(rids):
                for b in rids[i + 1:]:
                    if not same(a, b) and len(out) < limit:
                        out.append((a, b))
    return wrong, missed


def split_deliveries(payloads: Mapping[str, list[dict]], share: float) -> tuple[dict, dict]:
    """The first `share` of every table's deliveries, and the rest (for incremental runs)."""
    first = {t: p[: int(len(p) * share)] for t, p in payloads.items()}
    rest = {t: p[int(len(p) * share):] for t, p in payloads.items()}
    return first, rest



def staging_records(catalog, sources_file=None) -> list[dict]:
    """The person records the Spark job reads, read here with pyiceberg and DuckDB: the same
    er_sources.yaml mapping (one record per source and id, earlier entry first, then the latest
    `order_by`), so `icefloe resolve`'s engine can run on exactly the job's input."""
    import duckdb
    import yaml

    from icefloe import PROJECT_ROOT
    from icefloe.resolve import er_core

    core = er_core()
    path = sources_file or PROJECT_ROOT / "jobs" / "spark" / "conf" / "er_sources.yaml"
    doc = yaml.safe_load(path.read_text())
    con = duckdb.connect()
    parts = []
    for rank, s in enumerate(doc["sources"]):
        if not catalog.table_exists(s["table"]):
            continue
        name = f"t{rank}"
        con.register(name, catalog.load_table(s["table"]).scan().to_arrow())
        cols = s["columns"]

        def col(expr) -> str:
            names = [expr] if isinstance(expr, str) else list(expr)
            casts = [f'CAST("{c}" AS VARCHAR)' for c in names]
            return casts[0] if len(casts) == 1 else f"coalesce({', '.join(casts)})"

        select = ", ".join(f"{col(cols[f])} AS {f}" if f in cols else f"CAST(NULL AS VARCHAR) AS {f}"
                           for f in core.INPUT_FIELDS if f != "source")
        order = f'CAST("{s["order_by"]}" AS VARCHAR)' if s.get("order_by") else "CAST(NULL AS VARCHAR)"
        where = f" AND ({s['where']})" if s.get("where") else ""
        parts.append(f"SELECT '{s['source']}' AS source, {select}, {rank} AS _rank, {order} AS _version "
                     f"FROM {name} WHERE {col(cols['id'])} IS NOT NULL{where}")
    if not parts:
        return []
    fields = ", ".join(core.INPUT_FIELDS)
    cur = con.execute(f"""SELECT {fields} FROM (
        SELECT *, row_number() OVER (PARTITION BY source, id ORDER BY _rank, _version DESC NULLS LAST) AS _n
        FROM ({' UNION ALL '.join(parts)}) u) t WHERE _n = 1 ORDER BY source, id""")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _latest(rows: list[tuple[Any, Any, dict]]) -> dict[Any, dict]:
    """(id, version, record) -> the record of the highest version per id (later delivery wins ties)."""
    out: dict[Any, tuple[Any, dict]] = {}
    for key, version, rec in rows:
        if key is None:
            continue
        if key not in out or (version or "") >= (out[key][0] or ""):
            out[key] = (version, rec)
    return {k: v for k, (_, v) in out.items()}


def person_records(run: GeneratedRun) -> list[dict]:
    """The entity-resolution input of a generated run without a stack: what jobs/spark/staging.py
    and jobs/spark/conf/er_sources.yaml make of the payloads (latest version per id, HubSpot
    properties folded, the same columns), computed in Python. For quick, repeatable analysis of the
    method on many seeds and scales (`benchmarks/er_datagen.py --offline`); the ground-truth
    integration test checks it equals `staging_records` of the real staging tables."""
    def s(v: Any) -> str | None:
        return None if v is None else str(v)

    p = run.payloads
    out: dict[str, dict] = {}

    def add(source: str, rec: dict) -> None:
        rid = f"{source}|{rec['id']}"
        out.setdefault(rid, {"source": source, **rec})  # an earlier er_sources entry wins

    customers = _latest([(s(c.get("id")), c.get("updated_at"), c) for c in p["shopify_customers"]])
    for cid, c in customers.items():
        addr = c.get("default_address") or {}
        add("shopify", {"id": cid, "email": s(c.get("email")), "first_name": s(c.get("first_name")),
                        "last_name": s(c.get("last_name")), "phone": s(c.get("phone") or addr.get("phone")),
                        "street": s(addr.get("address1")), "city": s(addr.get("city")), "state": s(addr.get("province_code")),
                        "postcode": s(addr.get("zip"))})
    orders = _latest([(s((o.get("customer") or {}).get("id")), o.get("updated_at"), o) for o in p["shopify_orders"]])
    for cid, o in orders.items():
        ship = o.get("shipping_address") or {}
        city = ship.get("city") or (o.get("billing_address") or {}).get("city")
        add("shopify", {"id": cid, "email": s(o.get("email")), "street": s(ship.get("address1")), "city": s(city),
                        "postcode": s(ship.get("zip"))})
    stripe = _latest([(s(e["data"]["object"].get("id")), e.get("created"), e["data"]["object"])
                      for e in p["stripe_customers"]])
    for cid, o in stripe.items():
        addr = o.get("address") or {}
        add("stripe", {"id": cid, "email": s(o.get("email")), "name": s(o.get("name")), "phone": s(o.get("phone")),
                       "street": s(addr.get("line1")), "address_2": s(addr.get("line2")), "city": s(addr.get("city")),
                       "state": s(addr.get("state")), "postcode": s(addr.get("postal_code"))})
    charges = _latest([(s(e["data"]["object"].get("id")), e.get("created"), e["data"]["object"])
                       for e in p["stripe_charges"]])
    for chid, o in charges.items():
        if o.get("customer") is None:
            bd = o.get("billing_details") or {}
            add("stripe_charge", {"id": chid, "email": s(bd.get("email") or o.get("receipt_email")),
                                  "name": s(bd.get("name"))})
    props: dict[str, dict[str, tuple[str, Any]]] = {}
    for ev in p["hubspot_contacts"]:
        cid = s(ev.get("objectId", ev.get("id")))
        if "properties" in ev:
            version, items = ev.get("updatedAt") or "", ev["properties"].items()
        elif ev.get("propertyName"):
            from datetime import datetime

            version = datetime.fromtimestamp(ev["occurredAt"] / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
            items = [(ev["propertyName"], ev.get("propertyValue"))]
        else:
            props.setdefault(cid, {})
            continue
        have = props.setdefault(cid, {})
        for k, v in items:
            if k not in have or version >= have[k][0]:
                have[k] = (version, v)
    for cid, have in props.items():
        v = {k: x for k, (_, x) in have.items()}
        add("hubspot", {"id": cid, "email": s(v.get("email")), "first_name": s(v.get("firstname")),
                        "last_name": s(v.get("lastname")), "phone": s(v.get("phone") or v.get("mobilephone")),
                        "street": s(v.get("address")), "city": s(v.get("city")), "state": s(v.get("state")), "postcode": s(v.get("zip"))})
    return [out[k] for k in sorted(out)]


def linkable_groups(records: list[dict], truth: Mapping[str, str]) -> tuple[dict[str, str], Counter]:
    """Each person's records grouped by the identifying evidence they share, whatever the method.

    Two records of one person are joined when they carry the same mailbox or phone (normalised as
    the method does, a +tag dropped) that no other person's records carry, or the same full name
    (nicknames folded; for a record without a name, the one its mailbox spells, as the method's
    normalisation reads it) at the same street line. A name alone, or a name and a town, is not
    identifying: the generator makes namesakes (same name, often the same town) on purpose, and a
    household or company mailbox is shared. A true pair across two groups of one person has no
    evidence that a method could always tell from a namesake's or a relative's (the method still
    links a full name only two mailboxes carry, `full_name=unique`, at some cost in precision). Returns (record id -> "<person>#<group>", why pairs of one person are not linkable:
    Counter of the evidence they do share).
    """
    from icefloe.resolve import er_core

    core = er_core()
    norm: dict[str, dict] = {}
    for raw in records:
        row = core.normalise_record(raw)
        if row is not None and row["rid"] in truth:
            norm[row["rid"]] = row

    def mailbox(row: dict) -> str | None:
        email = row["email"]
        if not email:
            return None
        local, _, domain = email.partition("@")
        return f"{local.split('+', 1)[0]}@{domain}"

    owners: dict[tuple[str, str], set[str]] = {}
    for rid, row in norm.items():
        for key in (("email", mailbox(row)), ("phone", row["phone"])):
            if key[1]:
                owners.setdefault(key, set()).add(truth[rid])
    parent = {rid: rid for rid in norm}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def evidence(a: dict, b: dict) -> bool:
        for kind, fa, fb in (("email", mailbox(a), mailbox(b)), ("phone", a["phone"], b["phone"])):
            if fa and fa == fb and len(owners[(kind, fa)]) == 1:
                return True
        return bool(a["last_name"] and a["last_name"] == b["last_name"] and a["first_name_canon"]
                    and a["first_name_canon"] == b["first_name_canon"] and a["street"] and a["street"] == b["street"])

    by_person: dict[str, list[str]] = {}
    for rid in norm:
        by_person.setdefault(truth[rid], []).append(rid)
    for rids in by_person.values():
        for i, a in enumerate(rids):
            for b in rids[i + 1:]:
                if evidence(norm[a], norm[b]):
                    parent[find(a)] = find(b)
    groups = {rid: f"{truth[rid]}#{find(rid)}" for rid in norm}
    unfair: Counter = Counter()
    for rids in by_person.values():
        for i, a in enumerate(rids):
            for b in rids[i + 1:]:
                if groups[a] != groups[b]:
                    x, y = norm[a], norm[b]
                    shared = [f for f in ("email", "phone", "last_name", "city", "postcode") if x[f] and x[f] == y[f]]
                    if x["first_name_canon"] and x["first_name_canon"] == y["first_name_canon"]:
                        shared.insert(2, "first_name")
                    unfair["+".join(shared) or "nothing"] += 1
    return groups, unfair
