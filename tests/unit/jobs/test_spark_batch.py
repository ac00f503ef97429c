"""batch.py's order: the staging tables entity resolution reads first, then it runs beside the rest."""


def test_entity_resolution_waits_only_for_the_staging_tables_its_sources_file_names(batch, staging, entity_resolution):
    read = batch.er_inputs(entity_resolution)
    doc = entity_resolution.load_sources(entity_resolution.SOURCES_FILE)
    # every table ER reads is a staging table staged in the first group: none is left for later
    assert {s["table"] for s in doc["sources"]} == {f"staging.stg_{t}" for t in read}
    assert read <= set(staging.TABLES)
    # and there is something to stage beside it (else the overlap would be empty)
    assert set(staging.TABLES) - read
