-- The seed's missing rows beside @baton/core's defaults (one price table: a test compares the
-- two): Opus 4.7 and 4.8 at the Opus 4.5 price, and a catch-all for any other Opus 4 id at the
-- Opus 4 price. An operator's own rows stay as they are (a pattern already there is kept).
INSERT INTO "prices" ("model_pattern", "valid_from", "input_per_mtok", "cache_write_5m_per_mtok", "cache_write_1h_per_mtok", "cache_read_per_mtok", "output_per_mtok", "batch_multiplier", "note") VALUES
  ('claude-opus-4-8*',    '2025-01-01T00:00:00Z', 5,    6.25,  10,   0.50,  25, 0.5, 'Opus 4.8 (Anthropic pricing, 2026-09)'),
  ('claude-opus-4-7*',    '2025-01-01T00:00:00Z', 5,    6.25,  10,   0.50,  25, 0.5, 'Opus 4.7 (Anthropic pricing, 2026-09)'),
  ('claude-opus-4*',      '2025-01-01T00:00:00Z', 15,   18.75, 30,   1.50,  75, 0.5, 'Opus 4, any other id (Anthropic pricing, 2026-09)')
ON CONFLICT ("model_pattern", "valid_from") DO NOTHING;
