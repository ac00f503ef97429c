"""The cases the generator's ground truth showed the method getting wrong, run on DuckDB: namesakes in
one town, household and company mailboxes, nicknames with typos, moves. Each test states what a
pair of records must (or must not) come to, and why."""

from icefloe.resolve import LocalResolver, er_core
from tests.unit.resolution.test_er_incremental import partition

core = er_core()
TOWN = {"city": "Cathyport", "state": "AZ", "postcode": "86251"}


def resolve(records):
    r = LocalResolver()
    r.add(records)
    return r


def linked(r, a, b) -> bool:
    ent = r.entities()
    return ent[a] == ent[b]


def test_namesakes_in_one_town_with_their_own_mailboxes_and_street_addresses_are_not_linked():
    a = {"id": "1", "source": "shop", "first_name": "Melissa", "last_name": "Nixon", "email": "melissa.nixon@proton.me",
         "street": "12 Oak St", **TOWN}
    b = {"id": "2", "source": "crm", "first_name": "Melissa", "last_name": "Nixon", "email": "mnixon@outlook.com",
         "street": "870 Pine Ave", **TOWN}
    r = resolve([a, b])
    assert not linked(r, "shop|1", "crm|2")
    (row,) = r.engine.rows(core.score_sql(core.Params()))
    assert "namesake=capped(" in row["explanation"] and row["match_probability"] < 0.5


def test_the_same_name_at_the_same_street_address_links_despite_another_mailbox():
    a = {"id": "1", "source": "shop", "first_name": "Melissa", "last_name": "Nixon", "email": "melissa.nixon@proton.me",
         "street": "12 Oak St", **TOWN}
    b = {"id": "2", "source": "crm", "first_name": "Melissa", "last_name": "Nixon", "email": "m.nixon@acme-corp.com",
         "street": "12 Oak Street", **TOWN}
    assert linked(resolve([a, b]), "shop|1", "crm|2")


def test_the_same_name_in_one_town_links_when_nothing_conflicts():
    a = {"id": "1", "source": "shop", "first_name": "Melissa", "last_name": "Nixon", "email": "melissa.nixon@proton.me",
         **TOWN}
    b = {"id": "2", "source": "crm", "first_name": "Melissa", "last_name": "Nixon", **TOWN}
    assert linked(resolve([a, b]), "shop|1", "crm|2")


def test_a_record_without_a_name_is_not_linked_on_a_family_address_alone():
    home = {"last_name": "Vega", "street": "5 Eugenia St", **TOWN}
    a = {"id": "1", "source": "shop", "first_name": "Roberto", "email": "roberto.vega@gmail.com", **home}
    b = {"id": "2", "source": "pay", "phone": "+1 409 216 9144", **home}
    r = resolve([a, b])
    assert not linked(r, "shop|1", "pay|2")


def test_a_mailbox_seen_with_two_first_names_is_no_evidence_even_for_a_record_without_a_name():
    home = {"last_name": "Hines", "email": "hines.home@aol.com", "street": "9 Gene Rd", **TOWN}
    penny = {"id": "1", "source": "crm", "first_name": "Penny", "phone": "+1 801 910 2045", **home}
    ray = {"id": "2", "source": "pay", "first_name": "Ray", "phone": "+1 722 438 8622", **home}
    nameless = {"id": "3", "source": "pay", "phone": "+1 864 988 3236", **home, "last_name": None}
    r = resolve([penny, ray, nameless])
    ent = r.entities()
    assert len({ent["crm|1"], ent["pay|2"], ent["pay|3"]}) == 3
    levels = {(x["rid_l"], x["rid_r"]): x["email"] for x in r.engine.rows("SELECT * FROM er_levels")}
    assert levels[("crm|1", "pay|3")] == "shared" and levels[("pay|2", "pay|3")] == "shared"


def test_role_and_family_mailboxes_name_no_person():
    info_a = {"id": "1", "source": "shop", "first_name": "Hunter", "last_name": "Robertson",
              "email": "info@acostagroup.com", **TOWN}
    info_b = {"id": "2", "source": "pay", "email": "INFO@acostagroup.com", "phone": "+1 723 602 1465"}
    family_a = {"id": "3", "source": "shop", "first_name": "Colton", "last_name": "Barron",
                "email": "thebarrons+promo@yahoo.com", **TOWN}
    family_b = {"id": "4", "source": "pay", "email": "thebarrons@yahoo.com", "phone": "+1 947 574 9623"}
    r = resolve([info_a, info_b, family_a, family_b])
    assert not linked(r, "shop|1", "pay|2") and not linked(r, "shop|3", "pay|4")
    levels = {(x["rid_l"], x["rid_r"]): x["email"] for x in r.engine.rows("SELECT * FROM er_levels")}
    assert levels[("pay|2", "shop|1")] == "shared" and levels[("pay|4", "shop|3")] == "shared"


def test_a_personal_mailbox_still_links_a_record_without_a_name():
    a = {"id": "1", "source": "shop", "first_name": "Ana", "last_name": "Baldwin", "email": "ana.baldwin@yahoo.com"}
    b = {"id": "2", "source": "pay", "email": "Ana.Baldwin@yahoo.com", "phone": "+1 911 810 6493"}
    assert linked(resolve([a, b]), "shop|1", "pay|2")


def test_a_short_form_and_a_typo_in_a_nicknames_formal_name_still_agree_on_the_first_name():
    val = {"id": "1", "source": "crm", "first_name": "Val", "last_name": "Hammond", "email": "v.hammond@proton.me",
           "phone": "+1 965 824 9318", **TOWN}
    valentina = {"id": "2", "source": "shop", "first_name": "Valentina", "last_name": "Hammond",
                 "email": "v.hammond@proton.me", "phone": "(965) 824-9318", **TOWN}
    liz = {"id": "3", "source": "shop", "first_name": "Liz", "last_name": "Burch", "email": "eburch54@gmail.com", **TOWN}
    elzabeth = {"id": "4", "source": "pay", "first_name": "Elzabeth", "last_name": "Burch", "email": "eburch54@gmail.com",
                **TOWN}
    r = resolve([val, valentina, liz, elzabeth])
    levels = {(x["rid_l"], x["rid_r"]): (x["first_name"], x["email"]) for x in r.engine.rows("SELECT * FROM er_levels")}
    assert levels[("crm|1", "shop|2")] == ("nickname", "exact")
    assert levels[("pay|4", "shop|3")] == ("fuzzy", "exact")
    assert linked(r, "crm|1", "shop|2") and linked(r, "shop|3", "pay|4")


def test_a_move_counts_once_so_a_name_and_phone_still_link_across_it():
    before = {"id": "1", "source": "crm", "first_name": "Scott", "last_name": "Hodges", "email": "s.hodges@work-example.com",
              "phone": "+1 716 560 2426", "street": "4 Elm St", "city": "Joneston", "state": "NC", "postcode": "28871"}
    after = {"id": "2", "source": "shop", "first_name": "Scott", "last_name": "Hodges", "email": "shodges@hotmail.com",
             "phone": "716-560-2426", "street": "77 Bay Rd", "city": "South Waynehaven", "state": "FL",
             "postcode": "34287"}
    r = resolve([before, after])
    assert linked(r, "crm|1", "shop|2")
    assert "address=one_move(+" in r.links()[0]["explanation"]


def test_an_incremental_record_that_reveals_a_shared_mailbox_re_decides_the_older_pairs():
    home = {"last_name": "Terry", "email": "terry.home@gmail.com", "street": "3 Ash Ct", **TOWN}
    kelly = {"id": "1", "source": "crm", "first_name": "Kelly", **home}
    nameless = {"id": "2", "source": "crm", "phone": "+1 757 409 6928", **home}
    brittany = {"id": "3", "source": "shop", "first_name": "Brittany", "phone": "+1 757 409 6928", **home}
    inc = LocalResolver()
    inc.add([kelly, nameless])
    assert linked(inc, "crm|1", "crm|2")  # one mailbox, one family address: nothing says otherwise yet
    inc.add([brittany])
    full = resolve([kelly, nameless, brittany])
    assert partition(inc.entities()) == partition(full.entities())
    assert not linked(full, "crm|1", "crm|2") and linked(full, "crm|2", "shop|3")


def test_a_record_without_a_name_takes_the_name_its_mailbox_spells():
    row = core.normalise_record({"id": "1", "email": "Ann.Lee+shop@Acme-Corp.com"})
    assert (row["first_name"], row["last_name"]) == ("ann", "lee")
    other = core.normalise_record({"id": "2", "email": "kim_ortiz82@outlook.com"})
    assert (other["first_name"], other["last_name"]) == ("kim", "ortiz")
    named = core.normalise_record({"id": "3", "first_name": "Bea", "email": "ann.lee@acme-corp.com"})
    assert (named["first_name"], named["last_name"]) == ("bea", None), "a record's own name is never replaced"


def test_role_family_and_one_word_mailboxes_spell_no_name():
    # Gmail ignores dots, so they split nothing: "th.ecoxs@gmail.com" is thecoxs@, not Th Ecoxs
    for email in ("th.ecoxs@gmail.com", "ann.lee@googlemail.com", "sales.team@acme.com", "the.smiths@aol.com", "smith.family@aol.com", "jlee@acme.com",
                  "annlee@acme.com", "a.lee@acme.com", "ann.b.lee@acme.com", "info@acme.com"):
        assert core.name_from_email(email) is None, email


def test_a_nameless_crm_contact_with_a_work_mailbox_links_to_that_name_at_its_street_address():
    # a HubSpot contact with only a work address (no name, no phone) and the shop account of the same
    # person at the same street address: the mailbox spells the name, and a name at one street line links
    shop = {"id": "1", "source": "shop", "first_name": "Ann", "last_name": "Lee", "email": "annlee77@gmail.com",
            "street": "12 Oak St", **TOWN}
    crm = {"id": "2", "source": "crm", "email": "ann.lee@acme-corp.com", "street": "12 Oak Street", **TOWN}
    r = resolve([shop, crm])
    assert linked(r, "shop|1", "crm|2")
    (row,) = r.engine.rows(core.score_sql(core.Params()))
    assert "first_name=exact" in row["explanation"] and "last_name=exact" in row["explanation"]


def test_a_nameless_record_whose_mailbox_spells_a_relatives_name_is_not_linked_at_the_family_address():
    home = {"street": "5 Eugenia St", **TOWN}
    roberto = {"id": "1", "source": "shop", "first_name": "Roberto", "last_name": "Vega",
               "email": "roberto.vega@gmail.com", **home}
    maria = {"id": "2", "source": "pay", "email": "maria.vega@outlook.com", **home}
    assert not linked(resolve([roberto, maria]), "shop|1", "pay|2")


def test_relatives_with_alike_first_names_at_one_address_are_not_fused():
    # seen on the generator's ground truth (seeds 7 and 5 at scale 0.1): Mark and Mary Salazar,
    # Brittany and Brittney Waters, one address, each with a mailbox (and phone) of their own; a typo
    # could turn one name into the other, but a conflicting mailbox or phone at one dwelling says relative
    home = {"last_name": "Salazar", "street": "4724 Dillon Parkways", **TOWN}
    mark_crm = {"id": "1", "source": "crm", "first_name": "Mark", "email": "mark.salazar@allenpaul.com", **home}
    mark_pay = {"id": "2", "source": "pay", "first_name": "Mark", "email": "mark.salazar@allenpaul.com",
                "phone": "+1 886 470 2858", **home}
    mary_shop = {"id": "3", "source": "shop", "first_name": "Mary", "email": "salazar.mary@hotmail.com",
                 "phone": "(451) 954-0831", **home}
    r = resolve([mark_crm, mark_pay, mary_shop])
    assert linked(r, "crm|1", "pay|2")
    assert not linked(r, "crm|1", "shop|3") and not linked(r, "pay|2", "shop|3")
    rows = r.engine.rows(core.score_sql(core.Params()) + " WHERE rid_l = 'crm|1' AND rid_r = 'shop|3'")
    assert rows and "first_name=fuzzy" in rows[0]["explanation"] and "namesake=capped(" in rows[0]["explanation"]


def test_a_typo_in_the_first_name_still_links_at_one_address_when_no_contact_key_conflicts():
    # FEBRL's duplicates: a mistyped first name, another date of birth and id number, the same address
    home = {"last_name": "Hanna", "street_number": "7", "street": "Jerrabomberra Avenue", **TOWN}
    a = {"id": "1", "source": "a", "first_name": "Jessica", "dob": "19380407", "national_id": "9277788", **home}
    b = {"id": "2", "source": "b", "first_name": "Jesdica", "dob": "19800101", "national_id": "6484233", **home}
    assert linked(resolve([a, b]), "a|1", "b|2")


def test_a_name_the_mailbox_spells_the_other_way_round_with_a_typo_is_one_person_not_a_shared_mailbox():
    """"rubio.brittany@" spells (rubio, brittany) for the record without a name; the shop's "Britatny
    Rubio" (a typo) is the same name swapped. It used to count as a second first name on the mailbox,
    which made mailbox and phone 'shared' and left the pair apart (generator, scale 1, seed 11)."""
    home = {"street": "113 Goodman Isle Apt. 548", "city": "Dennisport", "state": "NJ", "postcode": "07416"}
    shop = {"id": "1", "source": "shop", "first_name": "Britatny", "last_name": "Rubio",
            "email": "rubio.brittany@outlook.com", "phone": "4803913136", **home}
    pay = {"id": "2", "source": "pay", "email": "rubio.brittany@outlook.com", "phone": "4803913136", **home}
    r = resolve([shop, pay])
    levels = {(x["rid_l"], x["rid_r"]): (x["first_name"], x["email"], x["phone"])
              for x in r.engine.rows("SELECT * FROM er_levels")}
    assert levels[("pay|2", "shop|1")] == ("swapped", "exact", "exact")
    assert linked(r, "shop|1", "pay|2")


def test_a_nickname_with_a_doubled_letter_still_stands_for_its_formal_name():
    """"Billl" Thornton (Bill, one key held too long) with William Thornton's mailbox and phone: the
    same first name, not a second person on a shared mailbox (generator, scale 1, seed 7)."""
    assert core.canon_first_name("billl") == "william" and core.canon_first_name("beckky") == "rebecca"
    # names that are not a slip of a nickname stay themselves, formal names too
    assert [core.canon_first_name(n) for n in ("danna", "jill", "marc", "william", "mary")] == \
        ["danna", "jill", "marc", "william", "mary"]
    home = {"street": "728 Adam Curve Suite 783", "city": "Lindseybury", "state": "TX", "postcode": "79452"}
    crm = {"id": "1", "source": "crm", "first_name": "William", "last_name": "Thornton",
           "email": "williamthornton@outlook.com", "phone": "460-888-6725", **home}
    pay = {"id": "2", "source": "pay", "first_name": "Billl", "last_name": "Thornton",
           "email": "williamthornton@outlook.com", "phone": "+14608886725", **home}
    r = resolve([crm, pay])
    (row,) = r.engine.rows("SELECT * FROM er_levels")
    assert (row["first_name"], row["email"], row["phone"]) == ("nickname", "exact", "exact")
    assert linked(r, "crm|1", "pay|2")


# A CRM contact with only a work mailbox, and a shop customer with a personal one: the name is all they
# share. The generator's ground truth has such pairs (a quarter of HubSpot contacts use a work address).
WORK = {"id": "1", "source": "crm", "first_name": "Alison", "last_name": "Gates", "email": "alison.gates@allen-corp.com"}
HOME = {"id": "2", "source": "shop", "first_name": "Alison", "last_name": "Gates", "email": "gates.alison@proton.me",
        "phone": "+1 246 952 5398", "street": "54278 Andrews Squares", **TOWN}
# the Stripe customer the shop made from its customer: the same mailbox, no name given (its mailbox spells one)
PAY = {"id": "3", "source": "pay", "email": "gates.alison@proton.me", "phone": "+1 246 952 5398"}


def test_a_work_and_a_personal_mailbox_link_on_a_full_name_no_other_mailbox_carries():
    r = resolve([WORK, HOME, PAY])
    assert linked(r, "crm|1", "shop|2") and linked(r, "crm|1", "pay|3")
    link = next(x for x in r.links() if {x["rid_l"], x["rid_r"]} == {"crm|1", "shop|2"})
    assert "full_name=unique(+" in link["explanation"] and "email=work_and_personal(" in link["explanation"]


def test_a_namesake_on_a_third_mailbox_makes_the_name_no_evidence_and_undoes_the_link_incrementally():
    namesake = {"id": "4", "source": "shop", "first_name": "Alison", "last_name": "Gates",
                "email": "agates@yahoo.com", "street": "9 Elm St", "city": "Lowell", "state": "MA"}
    full = resolve([WORK, HOME, PAY, namesake])
    assert not linked(full, "crm|1", "shop|2") and not linked(full, "crm|1", "shop|4")
    inc = LocalResolver()
    inc.add([WORK, HOME, PAY])
    assert linked(inc, "crm|1", "shop|2")
    inc.add([namesake])  # the older pair (crm|1, shop|2) is re-decided: its name block changed
    assert partition(inc.entities()) == partition(full.entities())


def test_two_personal_mailboxes_stay_a_conflict_even_for_a_unique_name():
    other = dict(WORK, email="alisongates@gmail.com")
    r = resolve([other, HOME])
    assert not linked(r, "crm|1", "shop|2")
    (row,) = r.engine.rows(core.score_sql(core.Params()))
    assert "email=different(" in row["explanation"] and "namesake=capped(" in row["explanation"]
