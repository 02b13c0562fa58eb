package schema

import (
	"context"
	"fmt"
	"slices"

	"clientele/ent/intercept"
	"clientele/ent/privacy"
	"clientele/internal/apperr"
	"clientele/internal/viewer"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
)

// Who may do what (DESIGN §7, domain-notes §7.3). The mode is handled by
// modeHook and modeInterceptor; this policy decides by kind, role and
// ownership, and every policy ends in deny (ent privacy fails open).
//
//   - system and integration admin: everything in their mode;
//   - integration read_only: reads only;
//   - anonymous sales channel: creates customers, newsletter subscriptions
//     and password resets; reads nothing;
//   - customer (sales channel + password grant): reads and changes only what
//     it owns, and only the operations in customerWrites.

// salesChannelCreates are the tables an anonymous storefront may create in.
var salesChannelCreates = []string{"customers", "customer_subscriptions", "customer_password_resets"}

// customerWrites lists, per table, the operations a customer token may run on
// records it owns.
var customerWrites = map[string]ent.Op{
	"customers":                ent.OpUpdateOne | ent.OpDeleteOne,
	"addresses":                ent.OpCreate | ent.OpUpdateOne | ent.OpDeleteOne,
	"customer_addresses":       ent.OpCreate | ent.OpUpdateOne | ent.OpDeleteOne | ent.OpDelete,
	"customer_payment_sources": ent.OpUpdateOne | ent.OpDeleteOne | ent.OpDelete,
	"customer_subscriptions":   ent.OpCreate | ent.OpUpdateOne | ent.OpDeleteOne | ent.OpDelete,
	"customer_password_resets": ent.OpCreate | ent.OpDelete, // the email decides whose reset it is
	"orders":                   ent.OpCreate | ent.OpUpdateOne | ent.OpDelete,
	"returns":                  ent.OpCreate | ent.OpUpdateOne,
	"attachments":              ent.OpDelete,
}

// customerMoves lists the status moves a customer token may make on what it
// owns (the platform keeps approving, cancelling and fulfilling for
// integrations); other status fields may not be set at all.
var customerMoves = map[string]map[string][]string{
	"orders":  {"status": {"PENDING", "PLACED"}},
	"returns": {"status": {"REQUESTED"}},
}

// customerMayMove reports whether a customer token may make the status
// changes of m.
func customerMayMove(table string, m ent.Mutation) bool {
	allowed, ok := customerMoves[table]
	if !ok {
		return true
	}
	machine := machines[table]
	for _, f := range machine.Fields() {
		v, set := m.Field(f)
		if set && !slices.Contains(allowed[f], fmt.Sprint(v)) {
			return false
		}
	}
	return true
}

// ownerPredicate restricts rows of table to those customer cid owns.
func ownerPredicate(table, cid string) func(*sql.Selector) {
	switch table {
	case "customers":
		return sql.FieldEQ("id", cid)
	case "events":
		return sql.FieldEQ("owner_customer_id", cid)
	case "addresses":
		return func(s *sql.Selector) {
			s.Where(sql.Or(
				sql.EQ(s.C("created_by_customer_id"), cid),
				sql.In(s.C("id"), sql.Select("address_id").From(sql.Table("customer_addresses")).Where(sql.EQ("customer_id", cid))),
			))
		}
	case "customer_groups":
		return func(s *sql.Selector) {
			s.Where(sql.In(s.C("id"), sql.Select("customer_group_customers").From(sql.Table("customers")).Where(sql.EQ("id", cid))))
		}
	case "attachments":
		return func(s *sql.Selector) {
			s.Where(sql.Or(
				sql.EQ(s.C("customer_id"), cid),
				sql.In(s.C("order_id"), sql.Select("id").From(sql.Table("orders")).Where(sql.EQ("customer_id", cid))),
				sql.In(s.C("return_id"), sql.Select("id").From(sql.Table("returns")).Where(sql.EQ("customer_id", cid))),
			))
		}
	}
	return sql.FieldEQ("customer_id", cid)
}

// accessPolicy is the privacy policy of every resource table.
func accessPolicy(table string) ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.QueryRuleFunc(func(ctx context.Context, q ent.Query) error {
				v := viewer.FromContext(ctx)
				switch {
				case v == nil:
					return privacy.Denyf("no caller")
				case v.CanReadAll():
					return privacy.Allow
				case v.Kind == viewer.Customer && v.CustomerID != "":
					iq, err := intercept.NewQuery(q)
					if err != nil {
						return err
					}
					iq.WhereP(ownerPredicate(table, v.CustomerID))
					return privacy.Allow
				}
				return privacy.Denyf("%s may not read %s", v.Kind, table)
			}),
			privacy.AlwaysDenyRule(),
		},
		Mutation: privacy.MutationPolicy{
			privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
				v := viewer.FromContext(ctx)
				if v == nil {
					return privacy.Denyf("no caller")
				}
				if v.CanWriteAll() || table == "events" {
					// Events are written only by the hooks of an allowed change.
					return privacy.Allow
				}
				op := m.Op()
				switch v.Kind {
				case viewer.SalesChannel:
					if op.Is(ent.OpCreate) && slices.Contains(salesChannelCreates, table) {
						return privacy.Allow
					}
				case viewer.Customer:
					if customerWrites[table]&op == 0 || v.CustomerID == "" {
						break
					}
					if op.Is(ent.OpCreate) {
						return ownCreate(table, v.CustomerID, m)
					}
					if !customerMayMove(table, m) {
						break
					}
					m.(mutation).WhereP(ownerPredicate(table, v.CustomerID))
					return privacy.Allow
				}
				return apperr.New(apperr.Forbidden, nil, "this credential may not change %s", table)
			}),
			privacy.AlwaysDenyRule(),
		},
	}
}

// ownCreate makes a record a customer token creates belong to that
// customer. The input may name the customer itself or no one; naming
// another customer answers NOT_FOUND on customerID, exactly like a customer
// that does not exist (a customer token cannot see other customers).
func ownCreate(table, cid string, m ent.Mutation) error {
	switch table {
	case "addresses":
		if err := m.SetField("created_by_customer_id", cid); err != nil {
			return err
		}
	case "customer_addresses", "customer_subscriptions", "orders":
		if v, ok := m.Field("customer_id"); ok && fmt.Sprint(v) != cid {
			return apperr.New(apperr.NotFound, apperr.Field("customerID"), "no customer with this ID")
		}
		if err := m.SetField("customer_id", cid); err != nil {
			return err
		}
	}
	return privacy.Allow
}
