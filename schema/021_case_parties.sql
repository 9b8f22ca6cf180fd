-- The conflict and duplicate check (issue 16): each case's parties by their blind indexes
-- (the applicant's, and the adverse party's when the application names one), so that any
-- node finds the other open cases of one applicant and the cases where an adverse party was
-- an aided person, without an ID number. NULL for applications recorded before the check:
-- a rebuild gives the same NULLs, so the projection needs no replay.
ALTER TABLE projections.case_views ADD COLUMN applicant_index text, ADD COLUMN adverse_index text;
COMMENT ON COLUMN projections.case_views.applicant_index IS 'The applicant''s blind index (PartyIndexes.applicant); NULL before the check.';
COMMENT ON COLUMN projections.case_views.adverse_index IS 'The adverse party''s blind index, where the application names one.';
CREATE INDEX case_views_by_applicant_index ON projections.case_views (applicant_index) WHERE applicant_index IS NOT NULL;
CREATE INDEX case_views_by_adverse_index ON projections.case_views (adverse_index) WHERE adverse_index IS NOT NULL;
