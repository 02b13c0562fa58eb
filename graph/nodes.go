package graph

import (
	"context"

	"clientele/ent"

	"entgo.io/ent/dialect/sql"
)

// fetchNodes loads nodes of any type, one query per type, in the caller's
// context (mode and access rules apply). Missing, malformed and invisible
// IDs get a NOT_FOUND error at their index; nothing is added to the
// response here, so callers decide where errors go.
func fetchNodes(ctx context.Context, c *ent.Client, keys []string) ([]ent.Noder, []error) {
	out := make([]ent.Noder, len(keys))
	errs := make([]error, len(keys))
	byTable := map[string][]string{}
	for i, id := range keys {
		t, err := nodeType(ctx, id)
		if err != nil {
			errs[i] = err
			continue
		}
		byTable[t] = append(byTable[t], id)
	}
	found := make(map[string]ent.Noder, len(keys))
	for t, ids := range byTable {
		if err := loadTable(ctx, c, t, ids, found); err != nil {
			for i, id := range keys {
				if tt, _ := nodeType(ctx, id); tt == t {
					errs[i] = err
				}
			}
		}
	}
	for i, id := range keys {
		if errs[i] != nil {
			continue
		}
		if n, ok := found[id]; ok {
			out[i] = n
		} else {
			errs[i] = &ent.NotFoundError{}
		}
	}
	return out, errs
}

// loadTable reads the rows of one table with the given IDs into found.
func loadTable(ctx context.Context, c *ent.Client, table string, ids []string, found map[string]ent.Noder) error {
	in := sql.FieldIn("id", ids...)
	switch table {
	case "customers":
		return collect(ctx, c.Customer.Query().Where(in).All, func(n *ent.Customer) string { return n.ID }, found)
	case "customer_groups":
		return collect(ctx, c.CustomerGroup.Query().Where(in).All, func(n *ent.CustomerGroup) string { return n.ID }, found)
	case "addresses":
		return collect(ctx, c.Address.Query().Where(in).All, func(n *ent.Address) string { return n.ID }, found)
	case "customer_addresses":
		return collect(ctx, c.CustomerAddress.Query().Where(in).All, func(n *ent.CustomerAddress) string { return n.ID }, found)
	case "customer_payment_sources":
		return collect(ctx, c.CustomerPaymentSource.Query().Where(in).All, func(n *ent.CustomerPaymentSource) string { return n.ID }, found)
	case "customer_subscriptions":
		return collect(ctx, c.CustomerSubscription.Query().Where(in).All, func(n *ent.CustomerSubscription) string { return n.ID }, found)
	case "orders":
		return collect(ctx, c.Order.Query().Where(in).All, func(n *ent.Order) string { return n.ID }, found)
	case "order_subscriptions":
		return collect(ctx, c.OrderSubscription.Query().Where(in).All, func(n *ent.OrderSubscription) string { return n.ID }, found)
	case "returns":
		return collect(ctx, c.OrderReturn.Query().Where(in).All, func(n *ent.OrderReturn) string { return n.ID }, found)
	case "attachments":
		return collect(ctx, c.Attachment.Query().Where(in).All, func(n *ent.Attachment) string { return n.ID }, found)
	case "events":
		return collect(ctx, c.Event.Query().Where(in).All, func(n *ent.Event) string { return n.ID }, found)
	case "customer_password_resets":
		return collect(ctx, c.CustomerPasswordReset.Query().Where(in).All, func(n *ent.CustomerPasswordReset) string { return n.ID }, found)
	}
	return nil
}

func collect[T ent.Noder](ctx context.Context, all func(context.Context) ([]T, error), id func(T) string, found map[string]ent.Noder) error {
	rows, err := all(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		found[id(r)] = r
	}
	return nil
}
