-- The lawyer roster (issue 16): the assignment form shows each roster lawyer's open cases,
-- counted from the cases a centre handles with a lawyer assigned. This index keeps that
-- count to those cases however many the node holds.
CREATE INDEX case_views_lawyer_assigned ON projections.case_views (owner) WHERE phase = 'lawyer-assigned';
