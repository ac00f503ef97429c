-- =============================================================================
-- Entity resolution: the method, written once for both engines.
--
-- Spark SQL (jobs/spark/entity_resolution.py) and DuckDB (`icefloe resolve`) run these
-- sections as they are: they use only functions both engines have with the same meaning
-- (levenshtein, md5, concat, concat_ws, least, greatest, substr, instr, length, row_number).
-- jobs/spark/er_core.py renders the {placeholders} from its parameters and drives the steps.
--
-- Input of every step: `er_records` (one normalised row per record, key `rid`),
-- `er_blocking` (the blocking index), and the step's focus tables. `{blocking}` is `er_blocking`
-- in a full run; an incremental run passes only the blocks its pairs can touch (er_core.run).
-- =============================================================================

-- ====  BLOCKING_KEYS  ========================================================
-- One row per (record, pass) with a non-null key. Input: the view `er_batch`.
-- Passes: exact identity keys, then name, date of birth and address keys, so a record whose
-- email changed is still found by its name, one whose name has a typo by its date of birth, ...
SELECT rid, blocking_type, blocking_key FROM (
  -- the mailbox without a +tag, on any domain ("ann+shop@acme.com" is in the block of "ann@acme.com")
  -- (instr/substr, not split_part: DuckDB 2.0 fails to bind split_part on an all-NULL column)
  SELECT rid, 'email' AS blocking_type,
    {mailbox} AS blocking_key FROM er_batch
  UNION ALL
  SELECT rid, 'phone', phone FROM er_batch
  UNION ALL
  SELECT rid, 'national_id', national_id FROM er_batch
  UNION ALL
  -- order-free, so a record with first and last name swapped lands in the same block
  SELECT rid, 'name', CASE WHEN first_name_canon IS NOT NULL AND last_name IS NOT NULL
    THEN {name_key} END
  FROM er_batch
  UNION ALL
  SELECT rid, 'dob', dob FROM er_batch
  UNION ALL
  SELECT rid, 'address', CASE WHEN street_number IS NOT NULL AND street IS NOT NULL
    THEN concat(street_number, '|', street) END FROM er_batch
  UNION ALL
  SELECT rid, 'postcode_initial', CASE WHEN postcode IS NOT NULL AND first_name IS NOT NULL
    THEN concat(postcode, '|', substr(first_name, 1, 1)) END FROM er_batch
  UNION ALL
  SELECT rid, 'city_last_name', CASE WHEN city IS NOT NULL AND last_name IS NOT NULL
    THEN concat(city, '|', last_name) END FROM er_batch
) k
WHERE blocking_key IS NOT NULL

-- ====  BLOCK_SIZES  ==========================================================
-- Records per block. A block larger than {max_block_size} (for an identity key - email, phone,
-- national id - larger than {max_key_frequency}) yields no pairs: one shared phone must not make a
-- hundred people candidates of each other. Its members are still compared when another pass brings
-- them together.
SELECT blocking_type, blocking_key, count(*) AS n
FROM {blocking}
GROUP BY blocking_type, blocking_key

-- ====  NAME_OWNERS  ==========================================================
-- Per full-name block (the 'name' pass), how many mailboxes carry the name: records with the same
-- mailbox (without a +tag) count once, a record without a mailbox counts on its own. A person's
-- shop account and the Stripe customer made from it are one owner; a namesake is another.
SELECT b.blocking_key, count(DISTINCT coalesce(
    {mailbox_r},
    r.rid)) AS owners
FROM {blocking} b
JOIN {records} r ON r.rid = b.rid
WHERE b.blocking_type = 'name'
GROUP BY b.blocking_key

-- ====  SHARED_KEYS  ==========================================================
-- Mailboxes and phone numbers that records with conflicting first names carry: a household's
-- "thesmiths@", a company's "info@", a family landline. Agreeing on one is no evidence about any of
-- its users (also for a pair where one side has no first name), so COMPARISON_LEVELS calls it
-- 'shared'. Only blocks within the key-frequency guard (larger ones are 'common' anyway).
WITH k AS (
  -- only mailbox and phone blocks within the guard, before any self-join (name or postcode blocks
  -- hold hundreds of records)
  SELECT b.rid, b.blocking_type, b.blocking_key
  FROM {blocking} b
  JOIN er_block_sizes s
    ON s.blocking_type = b.blocking_type AND s.blocking_key = b.blocking_key AND s.n <= {max_key_frequency}
  WHERE b.blocking_type IN ('email', 'phone') AND s.blocking_type IN ('email', 'phone')
)
SELECT DISTINCT a.blocking_type, a.blocking_key
FROM k a
JOIN k b ON b.blocking_type = a.blocking_type AND b.blocking_key = a.blocking_key AND a.rid < b.rid
JOIN er_records l ON l.rid = a.rid
JOIN er_records r ON r.rid = b.rid
WHERE l.first_name <> r.first_name AND l.first_name_canon <> r.first_name_canon
  AND levenshtein(l.first_name, r.first_name) > 2 AND levenshtein(l.first_name_canon, r.first_name_canon) > 2
  AND length(l.first_name) > 1 AND length(r.first_name) > 1
  AND substr(l.first_name, 1, length(r.first_name)) <> r.first_name
  AND substr(r.first_name, 1, length(l.first_name)) <> l.first_name
  AND NOT {names_swapped}

-- ====  CANDIDATE_PAIRS_ALL  ==================================================
-- Every distinct record pair sharing at least one block within the size guard (a full run).
SELECT l.rid AS rid_l, r.rid AS rid_r, min(l.blocking_type) AS blocked_on
FROM er_blocking l
JOIN er_block_sizes s
  ON s.blocking_type = l.blocking_type AND s.blocking_key = l.blocking_key
  AND s.n <= CASE WHEN l.blocking_type IN ('email', 'phone', 'national_id') THEN {max_key_frequency}
                  ELSE {max_block_size} END
JOIN er_blocking r
  ON r.blocking_type = l.blocking_type AND r.blocking_key = l.blocking_key AND l.rid < r.rid
GROUP BY l.rid, r.rid

-- ====  CANDIDATE_PAIRS_FOCUS  ================================================
-- The same pairs, but only those an incremental run must re-decide: pairs touching a new or
-- changed record (`er_focus_rids`), and pairs inside a block whose size crossed a guard
-- (`er_focus_pairs`).
WITH ok AS (
  SELECT b.rid, b.blocking_type, b.blocking_key
  FROM {blocking} b
  JOIN er_block_sizes s
    ON s.blocking_type = b.blocking_type AND s.blocking_key = b.blocking_key
    AND s.n <= CASE WHEN b.blocking_type IN ('email', 'phone', 'national_id') THEN {max_key_frequency}
                    ELSE {max_block_size} END
),
touching AS (
  SELECT least(f.rid, o.rid) AS rid_l, greatest(f.rid, o.rid) AS rid_r, f.blocking_type
  FROM ok f
  JOIN er_focus_rids x ON x.rid = f.rid
  JOIN ok o ON o.blocking_type = f.blocking_type AND o.blocking_key = f.blocking_key AND o.rid <> f.rid
),
inside AS (
  SELECT l.rid AS rid_l, r.rid AS rid_r, l.blocking_type
  FROM er_focus_pairs p
  JOIN ok l ON l.rid = p.rid_l
  JOIN ok r ON r.rid = p.rid_r AND r.blocking_type = l.blocking_type AND r.blocking_key = l.blocking_key
)
SELECT rid_l, rid_r, min(blocking_type) AS blocked_on
FROM (SELECT * FROM touching UNION ALL SELECT * FROM inside) u
GROUP BY rid_l, rid_r

-- ====  COMPARISON_LEVELS  ====================================================
-- One row per candidate pair: the agreement level of each comparison (NULL when a side is missing,
-- which then counts as no evidence). Weights for the levels are attached by er_core.Params.
-- An identity key (email, phone, national id) shared by more than {max_key_frequency} records is
-- a 'common' value: agreeing on it is no evidence.
SELECT
  p.rid_l, p.rid_r, p.blocked_on,
  CASE WHEN l.email IS NULL OR r.email IS NULL THEN NULL
       WHEN l.email = r.email AND fe.n > {max_key_frequency} THEN 'common'
       -- different mailboxes: one at a consumer provider and one elsewhere may be a person's own and
       -- their employer's ('work_and_personal')
       WHEN ({mailbox_l}) <> ({mailbox_r})
         THEN CASE WHEN (substr(l.email, instr(l.email, '@') + 1) IN ({consumer_mail})) <> (substr(r.email, instr(r.email, '@') + 1) IN ({consumer_mail}))
                   THEN 'work_and_personal' ELSE 'different' END
       -- the same mailbox, but two people's first names: a household or company address ("shared")
       -- (or a mailbox other records show it is: a shared one says nothing about any of its users)
       WHEN (l.first_name <> r.first_name AND l.first_name_canon <> r.first_name_canon
         AND levenshtein(l.first_name, r.first_name) > 2 AND levenshtein(l.first_name_canon, r.first_name_canon) > 2
         AND length(l.first_name) > 1 AND length(r.first_name) > 1
         AND substr(l.first_name, 1, length(r.first_name)) <> r.first_name
         AND substr(r.first_name, 1, length(l.first_name)) <> l.first_name
         AND NOT {names_swapped}) OR se.blocking_key IS NOT NULL THEN 'shared'
       -- a role mailbox (RFC 2142: info@, sales@, ...) or a family one ("thesmiths@", "smithfamily@")
       -- names no person
       WHEN substr(l.email, 1, least(instr(l.email, '@'), instr(concat(l.email, '+'), '+')) - 1) IN ({role_mailboxes}) OR substr(r.email, 1, least(instr(r.email, '@'), instr(concat(r.email, '+'), '+')) - 1) IN ({role_mailboxes})
         OR (substr(l.email, 1, least(instr(l.email, '@'), instr(concat(l.email, '+'), '+')) - 1) IN (concat('the', l.last_name, 's'), concat('the', l.last_name, 'es'), concat(l.last_name, 'family'), concat('the', l.last_name, 'family'), concat('the', l.last_name))) OR (substr(l.email, 1, least(instr(l.email, '@'), instr(concat(l.email, '+'), '+')) - 1) IN (concat('the', r.last_name, 's'), concat('the', r.last_name, 'es'), concat(r.last_name, 'family'), concat('the', r.last_name, 'family'), concat('the', r.last_name))) THEN 'shared'
       WHEN l.email = r.email THEN 'exact'
       ELSE 'alias' END AS email,
  CASE WHEN l.phone IS NULL OR r.phone IS NULL THEN NULL
       WHEN l.phone = r.phone AND fp.n > {max_key_frequency} THEN 'common'
       WHEN l.phone = r.phone AND sp.blocking_key IS NOT NULL THEN 'shared'
       WHEN l.phone = r.phone THEN 'exact'
       ELSE 'different' END AS phone,
  CASE WHEN l.national_id IS NULL OR r.national_id IS NULL THEN NULL
       WHEN l.national_id = r.national_id AND fn.n > {max_key_frequency} THEN 'common'
       WHEN l.national_id = r.national_id THEN 'exact'
       WHEN levenshtein(l.national_id, r.national_id) <= 1 THEN 'typo'
       WHEN levenshtein(l.national_id, r.national_id) <= 2 THEN 'two_typos'
       ELSE 'different' END AS national_id,
  CASE WHEN l.first_name IS NULL OR r.first_name IS NULL THEN NULL
       WHEN l.first_name = r.first_name THEN 'exact'
       WHEN l.first_name_canon = r.first_name_canon THEN 'nickname'
       WHEN {names_swapped} THEN 'swapped'
       -- a typo, also in a nickname's formal name ("liz" -> elizabeth ~ "elzabeth")
       WHEN levenshtein(l.first_name, r.first_name) <= 1
         OR (levenshtein(l.first_name, r.first_name) <= 2
             AND least(length(l.first_name), length(r.first_name)) >= 6)
         OR (levenshtein(l.first_name_canon, r.first_name_canon) <= 2
             AND least(length(l.first_name_canon), length(r.first_name_canon)) >= 6) THEN 'fuzzy'
       -- a short form the other name starts with ("pat", "patricia"), not in the nickname list
       WHEN least(length(l.first_name), length(r.first_name)) >= 3
         AND (substr(l.first_name, 1, length(r.first_name)) = r.first_name
              OR substr(r.first_name, 1, length(l.first_name)) = l.first_name) THEN 'nickname'
       WHEN (length(l.first_name) = 1 OR length(r.first_name) = 1)
         AND substr(l.first_name, 1, 1) = substr(r.first_name, 1, 1) THEN 'initial'
       ELSE 'different' END AS first_name,
  CASE WHEN l.last_name IS NULL OR r.last_name IS NULL THEN NULL
       WHEN l.last_name = r.last_name THEN 'exact'
       WHEN {names_swapped} THEN 'swapped'
       WHEN levenshtein(l.last_name, r.last_name) <= 1
         OR (levenshtein(l.last_name, r.last_name) <= 2
             AND least(length(l.last_name), length(r.last_name)) >= 6) THEN 'fuzzy'
       ELSE 'different' END AS last_name,
  CASE WHEN l.dob IS NULL OR r.dob IS NULL THEN NULL
       WHEN l.dob = r.dob THEN 'exact'
       WHEN substr(l.dob, 1, 4) = substr(r.dob, 1, 4)
         AND substr(l.dob, 5, 2) = substr(r.dob, 7, 2)
         AND substr(l.dob, 7, 2) = substr(r.dob, 5, 2) THEN 'day_month_swapped'
       WHEN levenshtein(l.dob, r.dob) <= 1 THEN 'typo'
       WHEN levenshtein(l.dob, r.dob) <= 2 THEN 'two_typos'
       ELSE 'different' END AS dob,
  CASE WHEN l.street_number IS NULL OR r.street_number IS NULL THEN NULL
       WHEN l.street_number = r.street_number THEN 'exact'
       ELSE 'different' END AS street_number,
  CASE WHEN l.street IS NULL OR r.street IS NULL THEN NULL
       WHEN l.street = r.street THEN 'exact'
       WHEN levenshtein(l.street, r.street) <= 1
         OR (levenshtein(l.street, r.street) <= 2
             AND least(length(l.street), length(r.street)) >= 6) THEN 'fuzzy'
       ELSE 'different' END AS street,
  CASE WHEN l.address_2 IS NULL OR r.address_2 IS NULL THEN NULL
       WHEN l.address_2 = r.address_2 THEN 'exact'
       WHEN levenshtein(l.address_2, r.address_2) <= 2
         AND least(length(l.address_2), length(r.address_2)) >= 6 THEN 'fuzzy'
       ELSE 'different' END AS address_2,
  CASE WHEN l.city IS NULL OR r.city IS NULL THEN NULL
       WHEN l.city = r.city THEN 'exact'
       WHEN levenshtein(l.city, r.city) <= 1
         OR (levenshtein(l.city, r.city) <= 2 AND least(length(l.city), length(r.city)) >= 6) THEN 'fuzzy'
       ELSE 'different' END AS city,
  CASE WHEN l.state IS NULL OR r.state IS NULL THEN NULL
       WHEN l.state = r.state THEN 'exact'
       ELSE 'different' END AS state,
  CASE WHEN l.postcode IS NULL OR r.postcode IS NULL THEN NULL
       WHEN l.postcode = r.postcode THEN 'exact'
       WHEN levenshtein(l.postcode, r.postcode) <= 1 THEN 'typo'
       ELSE 'different' END AS postcode,
  -- the same full name (nicknames folded, either order) that the two records' mailboxes alone carry
  CASE WHEN fnm.owners = 2
         AND {name_key_l}
           = {name_key_r}
       THEN 'unique' END AS full_name
FROM er_pairs p
JOIN er_records l ON l.rid = p.rid_l
JOIN er_records r ON r.rid = p.rid_r
LEFT JOIN er_block_sizes fe ON fe.blocking_type = 'email'
  AND fe.blocking_key = {mailbox_l}
LEFT JOIN er_block_sizes fp ON fp.blocking_type = 'phone' AND fp.blocking_key = l.phone
LEFT JOIN er_shared_keys se ON se.blocking_type = 'email'
  AND se.blocking_key = {mailbox_l}
LEFT JOIN er_shared_keys sp ON sp.blocking_type = 'phone' AND sp.blocking_key = l.phone
LEFT JOIN er_block_sizes fn ON fn.blocking_type = 'national_id' AND fn.blocking_key = l.national_id
LEFT JOIN er_name_owners fnm ON fnm.blocking_key = CASE WHEN l.first_name_canon IS NOT NULL AND l.last_name IS NOT NULL
    THEN {name_key_l} END

-- ====  PROPAGATE_LABELS  =====================================================
-- One step of connected components over the links in `er_edges` (both directions): every record
-- takes the smallest cluster label among itself and its neighbours. Repeated until nothing changes.
SELECT x.rid, least(x.cid, coalesce(m.cid, x.cid)) AS cid
FROM er_labels x
LEFT JOIN (
  SELECT e.a AS rid, min(y.cid) AS cid
  FROM er_edges e JOIN er_labels y ON y.rid = e.b
  GROUP BY e.a
) m ON m.rid = x.rid

-- ====  CLAIMS  ===============================================================
-- Stable entity ids. Input: `er_clusters` (rid, cid) for the records being re-clustered and
-- `er_prev` (rid, entity_id) their previous entities. Every previous entity is claimed by the new
-- cluster holding most of its records (ties: smallest cluster label); a cluster keeps the largest
-- entity it claims (ties: smallest id), so an entity that only gains records keeps its id, a merge
-- keeps the larger entity's id (the others become its aliases) and a split leaves the id with the
-- larger part.
WITH ov AS (
  SELECT c.cid, p.entity_id, count(*) AS n
  FROM er_clusters c JOIN er_prev p ON p.rid = c.rid
  WHERE p.entity_id IS NOT NULL
  GROUP BY c.cid, p.entity_id
),
esize AS (
  SELECT entity_id, count(*) AS size FROM er_prev WHERE entity_id IS NOT NULL GROUP BY entity_id
),
claim AS (
  SELECT cid, entity_id FROM (
    SELECT ov.cid, ov.entity_id,
           row_number() OVER (PARTITION BY ov.entity_id ORDER BY ov.n DESC, ov.cid) AS rn
    FROM ov
  ) t WHERE rn = 1
)
SELECT claim.cid, claim.entity_id,
       row_number() OVER (PARTITION BY claim.cid ORDER BY s.size DESC, claim.entity_id) = 1 AS kept
FROM claim JOIN esize s ON s.entity_id = claim.entity_id

-- ====  ENTITY_IDS  ===========================================================
-- The entity id of every re-clustered record: the kept claim, else a new id derived from the
-- cluster label (made unique with the run id if that id is already taken; `er_taken_ids` distinct).
SELECT c.rid, c.cid,
       coalesce(k.entity_id,
                CASE WHEN t.entity_id IS NOT NULL
                     THEN concat('e', substr(md5(concat(c.cid, '#', '{run_id}')), 1, 15))
                     ELSE concat('e', substr(md5(c.cid), 1, 15)) END) AS entity_id,
       k.entity_id IS NOT NULL AS kept
FROM er_clusters c
LEFT JOIN er_claims k ON k.cid = c.cid AND k.kept
LEFT JOIN er_taken_ids t ON t.entity_id = concat('e', substr(md5(c.cid), 1, 15))
