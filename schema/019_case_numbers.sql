-- Staff find a case of their centre's by its number (the search on the inbox page, issue 16):
-- an index, so that the lookup costs the same however many cases the node holds.
CREATE INDEX case_views_by_number ON projections.case_views (number) WHERE number IS NOT NULL;
