-- Issue 13, part 4: a unit's KLE markup (the KLE numbers the municipality's organisation system, e.g.
-- OS2mo, marks the unit with: the cases it handles). Written by the sync; read to suggest the decision
-- areas whose KLE numbers fall under the unit's (registry.domain.kle). Kept in their written form.
ALTER TABLE org_unit ADD COLUMN kle_codes text[] NOT NULL DEFAULT '{}';
