-- The planner's statistics of the projection tables follow their growth (issue 18): the
-- projector refreshes them as its tables grow instead of waiting for autovacuum, so a
-- centre's inbox that grew from nothing to ten thousand items is read through its index
-- at once, not sorted whole on a plan made for an empty table. ANALYZE is for the tables'
-- owner; the projector runs as the service role, so this function, owned by the owner,
-- analyses the tables it is given in a projection schema (the live one or a rebuild) only.
CREATE FUNCTION projections.refresh_statistics(target_schema text, target_tables text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    target text;
BEGIN
    IF target_schema !~ '^projections[a-z0-9_]*$' THEN
        RAISE EXCEPTION 'refresh_statistics analyses projection schemas only, not %', target_schema;
    END IF;
    FOREACH target IN ARRAY target_tables LOOP
        EXECUTE format('ANALYZE %I.%I', target_schema, target);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION projections.refresh_statistics(text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION projections.refresh_statistics(text, text[]) TO tongban_service;
