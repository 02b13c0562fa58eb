package schema

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"clientele/ent/intercept"
	"clientele/ent/privacy"
	"clientele/internal/apperr"
	"clientele/internal/resource"
	"clientele/internal/viewer"

	"entgo.io/ent"
)

// accessPolicy is the privacy policy of every resource table. The mode is
// handled by modeHook and modeInterceptor; this policy decides by kind, role
// and ownership as the resource's description says (package resource), and
// ends in deny (ent privacy fails open):
//
//   - no caller: nothing; read-only integrations: reads only (resource.Admit);
//   - system and integration admin: everything in their mode;
//   - anonymous sales channel: creates where Access.StorefrontCreates; reads
//     nothing;
//   - customer (sales channel + password grant): reads what it owns
//     (Visible), and runs Access.CustomerOps on it.
func accessPolicy(r *resource.Resource) ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.QueryRuleFunc(func(ctx context.Context, q ent.Query) error {
				v := viewer.FromContext(ctx)
				if err := resource.Admit(v, false); err != nil {
					return err
				}
				switch {
				case v.CanReadAll():
					return privacy.Allow
				case v.Kind == viewer.Customer && v.CustomerID != "":
					iq, err := intercept.NewQuery(q)
					if err != nil {
						return err
					}
					iq.WhereP(r.OwnedBy(v.CustomerID))
					return privacy.Allow
				}
				return privacy.Denyf("%s may not read %s", v.Kind, r.Name)
			}),
			privacy.AlwaysDenyRule(),
		},
		Mutation: privacy.MutationPolicy{
			privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
				v := viewer.FromContext(ctx)
				if err := resource.Admit(v, true); err != nil {
					return err
				}
				if v.CanWriteAll() || r.Log {
					// The log is written only by the hooks of an allowed change.
					return privacy.Allow
				}
				op := m.Op()
				switch v.Kind {
				case viewer.SalesChannel:
					if op.Is(ent.OpCreate) && r.Access.StorefrontCreates {
						return privacy.Allow
					}
				case viewer.Customer:
					if r.Access.CustomerOps&op == 0 || v.CustomerID == "" {
						break
					}
					if op.Is(ent.OpCreate) {
						return ownCreate(r, v.CustomerID, m)
					}
					if !customerMayMove(r, m) {
						break
					}
					m.(mutation).WhereP(r.OwnedBy(v.CustomerID))
					return privacy.Allow
				}
				return apperr.New(apperr.Forbidden, nil, "this credential may not change %s", r.Name)
			}),
			privacy.AlwaysDenyRule(),
		},
	}
}

// customerMayMove reports whether a customer token may make the status
// changes of m (Access.CustomerMoves).
func customerMayMove(r *resource.Resource, m ent.Mutation) bool {
	allowed := r.Access.CustomerMoves
	if allowed == nil || r.Machine == nil {
		return true
	}
	for _, f := range r.Machine.Fields() {
		v, set := m.Field(f)
		if set && !slices.Contains(allowed[f], fmt.Sprint(v)) {
			return false
		}
	}
	return true
}

// ownCreate makes a record a customer token creates belong to that customer
// (Access.CustomerStamp). The input may name the customer itself or no one;
// naming another customer answers NOT_FOUND, exactly like a customer that
// does not exist (a customer token cannot see other customers).
func ownCreate(r *resource.Resource, cid string, m ent.Mutation) error {
	col := r.Access.CustomerStamp
	if col == "" {
		return privacy.Allow
	}
	if v, ok := m.Field(col); ok && fmt.Sprint(v) != cid {
		return resource.Get(resource.Customers).NotFound(apperr.FieldName(strings.TrimSuffix(col, "_id")) + "ID")
	}
	if err := m.SetField(col, cid); err != nil {
		return err
	}
	return privacy.Allow
}
