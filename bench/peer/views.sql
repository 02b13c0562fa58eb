-- The peer's view of clientele's data (bench/run.sh --peer): one schema,
-- "peer", of plain views over clientele's own tables, restricted to test
-- mode like a test-mode credential of clientele, with the keys and
-- relations PostGraphile needs as smart tags. Postgres inlines the views,
-- so both servers read the same rows through the same indexes.
DROP SCHEMA IF EXISTS peer CASCADE;
CREATE SCHEMA peer;

CREATE VIEW peer.customer_groups AS
  SELECT id, name, code, created_at FROM public.customer_groups WHERE mode = 'TEST';
COMMENT ON VIEW peer.customer_groups IS E'@primaryKey id';

CREATE VIEW peer.customers AS
  SELECT id, email, status, customer_group_customers AS customer_group_id, created_at
  FROM public.customers WHERE mode = 'TEST';
COMMENT ON VIEW peer.customers IS E'@primaryKey id\n@foreignKey (customer_group_id) references peer.customer_groups (id)';

CREATE VIEW peer.addresses AS
  SELECT id, first_name, last_name, line_1, city, zip_code, country_code, phone
  FROM public.addresses WHERE mode = 'TEST';
COMMENT ON VIEW peer.addresses IS E'@primaryKey id';

CREATE VIEW peer.customer_addresses AS
  SELECT id, name, customer_id, address_id, created_at
  FROM public.customer_addresses WHERE mode = 'TEST';
COMMENT ON VIEW peer.customer_addresses IS E'@primaryKey id\n@foreignKey (customer_id) references peer.customers (id)\n@foreignKey (address_id) references peer.addresses (id)';

CREATE VIEW peer.orders AS
  SELECT id, number, status, total_amount_cents, placed_at, customer_id, created_at
  FROM public.orders WHERE mode = 'TEST';
COMMENT ON VIEW peer.orders IS E'@primaryKey id\n@foreignKey (customer_id) references peer.customers (id)';
