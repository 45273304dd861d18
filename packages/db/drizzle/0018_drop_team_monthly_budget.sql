-- The budget lives in spend_caps (migration 0016 copied every monthly budget into a monthly team cap); team.update edits that cap.
ALTER TABLE "teams" DROP COLUMN "monthly_budget_usd";