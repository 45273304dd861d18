-- Default per-million-token prices (USD) from Anthropic's pricing page as of
-- 2026-09. Data, not code: operators add rows with a later valid_from to
-- change a price; history stays priceable. The most specific (longest)
-- matching pattern wins.
INSERT INTO "prices" ("model_pattern", "valid_from", "input_per_mtok", "cache_write_5m_per_mtok", "cache_write_1h_per_mtok", "cache_read_per_mtok", "output_per_mtok", "batch_multiplier", "note") VALUES
  ('claude-opus-5*',      '2025-01-01T00:00:00Z', 5,    6.25,  10,   0.50,  25, 0.5, 'Opus 5.x (Anthropic pricing, 2026-09)'),
  ('claude-opus-4-6*',    '2025-01-01T00:00:00Z', 5,    6.25,  10,   0.50,  25, 0.5, 'Opus 4.6 (Anthropic pricing, 2026-09)'),
  ('claude-opus-4-5*',    '2025-01-01T00:00:00Z', 5,    6.25,  10,   0.50,  25, 0.5, 'Opus 4.5 (Anthropic pricing, 2026-09)'),
  ('claude-opus-4-1*',    '2025-01-01T00:00:00Z', 15,   18.75, 30,   1.50,  75, 0.5, 'Opus 4.1 (Anthropic pricing, 2026-09)'),
  ('claude-opus-4-0*',    '2025-01-01T00:00:00Z', 15,   18.75, 30,   1.50,  75, 0.5, 'Opus 4 (Anthropic pricing, 2026-09)'),
  ('claude-opus-4-2025*', '2025-01-01T00:00:00Z', 15,   18.75, 30,   1.50,  75, 0.5, 'Opus 4 (Anthropic pricing, 2026-09)'),
  ('claude-sonnet-5*',    '2025-01-01T00:00:00Z', 2,    2.50,  4,    0.20,  10, 0.5, 'Sonnet 5 (Anthropic pricing, 2026-09)'),
  ('claude-sonnet-4*',    '2025-01-01T00:00:00Z', 3,    3.75,  6,    0.30,  15, 0.5, 'Sonnet 4 / 4.5 / 4.6 (Anthropic pricing, 2026-09)'),
  ('claude-haiku-4-5*',   '2025-01-01T00:00:00Z', 1,    1.25,  2,    0.10,  5,  0.5, 'Haiku 4.5 (Anthropic pricing, 2026-09)'),
  ('claude-3-5-haiku*',   '2025-01-01T00:00:00Z', 0.80, 1,     1.6,  0.08,  4,  0.5, 'Haiku 3.5 (Anthropic pricing, 2026-09)')
ON CONFLICT ("model_pattern", "valid_from") DO NOTHING;
