-- As-of checks read only the red lines set along the requested unit's chain (as it was then). A red
-- line moved to another unit since may have bound that chain, so the few that ever moved are always
-- read as well; this index finds them without scanning the history.
CREATE INDEX history_red_line_moves ON history (tenant_id, entity_id)
    WHERE entity_type = 'red_line' AND operation = 'update'
      AND (before ->> 'unit_id') IS DISTINCT FROM (after ->> 'unit_id');
