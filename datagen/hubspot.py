"""HubSpot: webhook events and the CRM objects they describe.

HubSpot's webhooks carry no object body: each event says which object changed (`objectId`), what
(`subscriptionType`, `propertyName`, `propertyValue`) and when (`occurredAt`, ms); HubSpot POSTs a
JSON array of such events. `HubSpotCrm` keeps the CRM objects (contacts, companies, deals,
engagements, shaped like the v3 CRM objects API returns them) in step with the events it emits, so
a consumer can check that replaying the events rebuilds the objects.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from icefloe.datagen.common import iso_utc_ms
from icefloe.datagen.population import Account, Company

PORTAL_ID = 62_515_531
APP_ID = 4_217_733
SUBSCRIPTION_IDS = {"contact": 2_011_001, "company": 2_011_002, "deal": 2_011_003, "engagement": 2_011_004}
LIFECYCLE = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
DEAL_STAGES = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
)
ENGAGEMENT_TYPES = ("EMAIL", "CALL", "MEETING", "NOTE", "TASK")
CHANGE_SOURCES = ("CRM_UI", "API", "FORM", "IMPORT", "INTEGRATION", "AUTOMATION_PLATFORM")
OWNERS = ("41629779", "41629780", "41629781", "52009112")
#: the contact properties the app subscribes to (`contact.propertyChange` is one subscription per
#: property): the identity fields entity resolution needs, so a contact is whole without a CRM read
CONTACT_WEBHOOK_PROPERTIES = ("email", "firstname", "lastname", "phone", "address", "city", "state", "zip",
                              "country", "lifecyclestage")


@dataclass(slots=True)
class CrmObject:
    kind: str  # contact | company | deal | engagement
    id: int
    properties: dict[str, str | None]
    created_at: float
    updated_at: float
    associations: dict[str, list[int]] = field(default_factory=dict)
    archived: bool = False

    def api(self) -> dict:
        """The object as `GET /crm/v3/objects/<kind>s/<id>` returns it (values are strings)."""
        out = {
            "id": str(self.id),
            "properties": self.properties,
            "createdAt": iso_utc_ms(self.created_at),
            "updatedAt": iso_utc_ms(self.updated_at),
            "archived": self.archived,
        }
        if self.associations:
            out["associations"] = {
                f"{k}s" if not k.endswith("y") else f"{k[:-1]}ies": {
                    "results": [{"id": str(i), "type": f"{self.kind}_to_{k}"} for i in ids]
                }
                for k, ids in self.associations.items()
            }
        return out


class HubSpotCrm:
    """Emits webhook events and keeps the CRM objects they change."""

    def __init__(self, seed: int) -> None:
        self._event_id = 3_000_000_000 + (seed % 1000) * 1_000_000
        self._next_id = {
            "contact": 100_000_000,
            "company": 5_000_000_000,
            "deal": 9_000_000_000,
            "engagement": 40_000_000_000,
        }
        self.objects: dict[str, dict[int, CrmObject]] = {k: {} for k in self._next_id}

    def _id(self, kind: str) -> int:
        self._next_id[kind] += 1
        return self._next_id[kind]

    def event(
        self,
        kind: str,
        action: str,
        obj_id: int,
        at: float,
        rng: random.Random,
        prop: str | None = None,
        value: str | None = None,
        source: str | None = None,
    ) -> dict:
        """One webhook event object (HubSpot delivers a JSON array of these)."""
        self._event_id += 1
        ev = {
            "eventId": self._event_id,
            "subscriptionId": SUBSCRIPTION_IDS[kind],
            "portalId": PORTAL_ID,
            "appId": APP_ID,
            "occurredAt": int(at * 1000),
            "subscriptionType": f"{kind}.{action}",
            "attemptNumber": 0,
            "objectId": obj_id,
            "changeSource": source or rng.choice(CHANGE_SOURCES),
        }
        if action == "propertyChange":
            ev["propertyName"] = prop
            ev["propertyValue"] = value
        elif action == "creation":
            ev["changeFlag"] = "NEW"
        elif action == "deletion":
            ev["changeFlag"] = "DELETED"
        return ev

    def _set(
        self, obj: CrmObject, at: float, rng: random.Random, source: str, **props: str | None
    ) -> list[dict]:
        # a journey may schedule a change for later than one scheduled after it; changes of one object
        # are kept in time order so the events replay to the object's final state
        at = max(at, obj.updated_at + 1.0)
        events = []
        for k, v in props.items():
            obj.properties[k] = v
            events.append(self.event(obj.kind, "propertyChange", obj.id, at, rng, k, v, source))
        obj.properties["lastmodifieddate" if obj.kind == "contact" else "hs_lastmodifieddate"] = iso_utc_ms(
            at
        )
        obj.updated_at = at
        return events

    # ---- contacts -----------------------------------------------------------------------------

    def create_contact(
        self, account: Account, at: float, rng: random.Random, stage: str = "subscriber"
    ) -> tuple[CrmObject, list[dict]]:
        ident = account.identity
        cid = self._id("contact")
        ts = iso_utc_ms(at)
        addr = ident.address
        props = {
            "createdate": ts,
            "lastmodifieddate": ts,
            "hs_object_id": str(cid),
            "email": ident.email,
            "firstname": ident.first_name,
            "lastname": ident.last_name,
            "phone": ident.phone,
            "company": account.person.company.name if account.person.company else None,
            "jobtitle": rng.choice(("Buyer", "Founder", "Marketing Manager", "Engineer", "Owner", None)),
            "address": addr.address1 if addr else None,
            "city": addr.city if addr else None,
            "state": addr.province if addr else None,
            "zip": addr.zip if addr else None,
            "country": addr.country if addr else None,
            "lifecyclestage": stage,
            "hs_lead_status": "NEW",
        }
        obj = CrmObject("contact", cid, props, at, at)
        self.objects["contact"][cid] = obj
        source = rng.choice(("FORM", "CRM_UI", "IMPORT", "API"))
        events = [self.event("contact", "creation", cid, at, rng, source=source)]
        for name in CONTACT_WEBHOOK_PROPERTIES:
            if props[name] is not None:
                events.append(
                    self.event("contact", "propertyChange", cid, at, rng, name, props[name], source)
                )
        return obj, events

    def advance_lifecycle(
        self, contact: CrmObject, at: float, rng: random.Random, to: str | None = None
    ) -> list[dict]:
        current = contact.properties.get("lifecyclestage") or LIFECYCLE[0]
        i = LIFECYCLE.index(current) if current in LIFECYCLE else 0
        if to is None:
            if i + 1 >= len(LIFECYCLE):
                return []
            to = LIFECYCLE[i + 1]
        return self._set(contact, at, rng, "AUTOMATION_PLATFORM", lifecyclestage=to)

    def update_contact(
        self, contact: CrmObject, at: float, rng: random.Random, **props: str | None
    ) -> list[dict]:
        return self._set(contact, at, rng, rng.choice(("CRM_UI", "FORM", "API")), **props)

    # ---- companies and deals ------------------------------------------------------------------

    def create_company(self, company: Company, at: float, rng: random.Random) -> tuple[CrmObject, list[dict]]:
        cid = self._id("company")
        ts = iso_utc_ms(at)
        props = {
            "createdate": ts,
            "hs_lastmodifieddate": ts,
            "hs_object_id": str(cid),
            "name": company.name,
            "domain": company.domain,
            "industry": company.industry,
            "city": company.city,
            "state": company.state,
            "numberofemployees": str(company.employees),
            "lifecyclestage": "lead",
        }
        obj = CrmObject("company", cid, props, at, at)
        self.objects["company"][cid] = obj
        events = [
            self.event("company", "creation", cid, at, rng, source="CRM_UI"),
            self.event("company", "propertyChange", cid, at, rng, "name", company.name, "CRM_UI"),
            self.event("company", "propertyChange", cid, at, rng, "domain", company.domain, "CRM_UI"),
        ]
        return obj, events

    def create_deal(
        self, company: CrmObject | None, contact: CrmObject | None, at: float, rng: random.Random, amount: int
    ) -> tuple[CrmObject, list[dict]]:
        did = self._id("deal")
        ts = iso_utc_ms(at)
        name = (company.properties["name"] if company else "New deal") + rng.choice(
            (" - Annual plan", " - Pilot", " - Expansion", " - Renewal")
        )
        props = {
            "createdate": ts,
            "hs_lastmodifieddate": ts,
            "hs_object_id": str(did),
            "dealname": name,
            "amount": str(amount),
            "dealstage": DEAL_STAGES[0],
            "pipeline": "default",
            "closedate": iso_utc_ms(at + rng.randint(14, 90) * 86400),
            "hubspot_owner_id": rng.choice(OWNERS),
        }
        assoc = {}
        if company:
            assoc["company"] = [company.id]
        if contact:
            assoc["contact"] = [contact.id]
        obj = CrmObject("deal", did, props, at, at, assoc)
        self.objects["deal"][did] = obj
        events = [
            self.event("deal", "creation", did, at, rng, source="CRM_UI"),
            self.event("deal", "propertyChange", did, at, rng, "dealstage", DEAL_STAGES[0], "CRM_UI"),
            self.event("deal", "propertyChange", did, at, rng, "amount", str(amount), "CRM_UI"),
        ]
        return obj, events

    def advance_deal(
        self, deal: CrmObject, at: float, rng: random.Random, win_rate: float = 0.6
    ) -> list[dict]:
        stage = deal.properties["dealstage"]
        if stage in ("closedwon", "closedlost"):
            return []
        i = DEAL_STAGES.index(stage)
        nxt = DEAL_STAGES[i + 1] if i + 1 < 5 else ("closedwon" if rng.random() < win_rate else "closedlost")
        if nxt != "closedwon" and i >= 1 and rng.random() < 0.1:
            nxt = "closedlost"
        return self._set(deal, at, rng, "CRM_UI", dealstage=nxt)

    # ---- engagements --------------------------------------------------------------------------

    def create_engagement(
        self,
        contact: CrmObject,
        company: CrmObject | None,
        deal: CrmObject | None,
        at: float,
        rng: random.Random,
        kind: str | None = None,
    ) -> tuple[CrmObject, list[dict]]:
        eid = self._id("engagement")
        etype = kind or rng.choice(ENGAGEMENT_TYPES)
        ts = iso_utc_ms(at)
        props = {
            "hs_createdate": ts,
            "hs_lastmodifieddate": ts,
            "hs_object_id": str(eid),
            "hs_engagement_type": etype,
            "hs_timestamp": ts,
            "hubspot_owner_id": rng.choice(OWNERS),
            "hs_body_preview": {
                "EMAIL": "Following up on your order",
                "CALL": "Discussed pricing",
                "MEETING": "Product demo",
                "NOTE": "Prefers email contact",
                "TASK": "Send proposal",
            }[etype],
        }
        assoc = {"contact": [contact.id]}
        if company:
            assoc["company"] = [company.id]
        if deal:
            assoc["deal"] = [deal.id]
        obj = CrmObject("engagement", eid, props, at, at, assoc)
        self.objects["engagement"][eid] = obj
        return obj, [self.event("engagement", "creation", eid, at, rng, source="CRM_UI")]

    def snapshot(self, kind: str) -> list[dict]:
        return [o.api() for o in self.objects[kind].values()]
