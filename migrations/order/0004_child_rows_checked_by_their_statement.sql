-- Lines and timeline entries are written only by this agent, in the statement that inserts or
-- updates their order (`FROM o`, `FROM settled`), and no path deletes an order: a child row
-- cannot point at a missing order. The foreign keys re-checked that with a locking lookup of the
-- order per child row (two lines and four timeline entries per order), about a sixth of the order
-- agent's database time at 300 orders/s (docs/performance.md, session 8).
ALTER TABLE order_lines DROP CONSTRAINT IF EXISTS order_lines_order_id_fkey;
ALTER TABLE order_timeline DROP CONSTRAINT IF EXISTS order_timeline_order_id_fkey;
