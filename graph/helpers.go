package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"clientele/ent"
	"clientele/ent/customer"
	"clientele/graph/model"
	"clientele/internal/apperr"
	"clientele/internal/resource"
	"clientele/internal/viewer"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"
	"github.com/99designs/gqlgen/graphql"
)

// nodes resolves a list of IDs in one query per type; unknown ones are null
// with a NOT_FOUND error at their index.
func (r *Resolver) nodes(ctx context.Context, idList []string) ([]ent.Noder, error) {
	out, errs := fetchNodes(ctx, r.ent(ctx), idList)
	for i, err := range errs {
		switch {
		case err == nil:
		case ent.IsNotFound(err) || isCoded(err):
			addNotFound(ctx, i)
		default:
			return nil, err
		}
	}
	return out, nil
}

func isCoded(err error) bool {
	_, ok := apperr.As(err)
	return ok
}

// viewer returns the logged-in customer, or nil for other callers.
func (r *Resolver) viewer(ctx context.Context) (*ent.Customer, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.Kind != viewer.Customer {
		return nil, nil
	}
	c, err := r.ent(ctx).Customer.Get(ctx, v.CustomerID)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return c, err
}

// links builds the REST-shape links of a record from its ID, whose prefix
// names its type.
func (r *Resolver) links(id string) *model.Links {
	res, ok := resource.ByID(id)
	if !ok {
		return &model.Links{Self: r.publicURL}
	}
	return &model.Links{Self: r.publicURL + res.Path(id)}
}

// customerEmail returns the email of the customer with the given ID.
func (r *Resolver) customerEmail(ctx context.Context, id string) (string, error) {
	c, err := loaders(ctx).customer(ctx, id)
	if err != nil {
		return "", err
	}
	return c.Email, nil
}

// attachable resolves an attachment's parent.
func (r *Resolver) attachable(ctx context.Context, a *ent.Attachment) (ent.Noder, error) {
	for _, id := range []*string{a.CustomerID, a.CustomerGroupID, a.OrderID, a.ReturnID} {
		if id != nil {
			return loaders(ctx).node(ctx, *id)
		}
	}
	return nil, fmt.Errorf("attachment %s has no parent", a.ID)
}

// eventResource resolves the record an event is about, or nil once deleted.
func (r *Resolver) eventResource(ctx context.Context, e *ent.Event) (ent.Noder, error) {
	n, err := loaders(ctx).node(ctx, e.ResourceID)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return n, err
}

var currencySymbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}

// money formats cents in a currency, e.g. €12.50 or 12.50 CHF.
func money(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	n := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	if s, ok := currencySymbols[currency]; ok {
		return sign + s + n
	}
	return sign + n + " " + currency
}

var metadataKey = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,64}$`)

// metadataContains filters customers whose metadata holds every given key
// with the given scalar value.
func metadataContains(w *ent.CustomerWhereInput, data map[string]any) error {
	for k, v := range data {
		if !metadataKey.MatchString(k) {
			return apperr.New(apperr.Invalid, []string{"where", "metadataContains"}, "metadata keys are 1 to 64 letters, digits, _ or -")
		}
		switch n := v.(type) {
		case string, bool, int, int64, float64, nil:
		case json.Number:
			// Bind numbers as numbers: a text '5' never equals JSON 5.
			if i, err := n.Int64(); err == nil {
				v = i
			} else if f, err := n.Float64(); err == nil {
				v = f
			}
		default:
			return apperr.New(apperr.Invalid, []string{"where", "metadataContains"}, "metadataContains values must be strings, numbers, booleans or null")
		}
		k, v := k, v
		w.AddPredicates(func(s *sql.Selector) {
			s.Where(sqljson.ValueEQ(s.C(customer.FieldMetadata), v, sqljson.Path(k)))
		})
	}
	return nil
}

// lock makes a read-then-write safe: on Postgres the row is locked until the
// mutation's transaction ends; SQLite transactions already hold the write
// lock from BEGIN IMMEDIATE.
func lock[Q interface {
	ForUpdate(...sql.LockOption) Q
}](r *Resolver, q Q) Q {
	if r.dialect == dialect.Postgres {
		return q.ForUpdate()
	}
	return q
}

// inputString returns the string the caller gave for field of the input
// object argument arg of the field being resolved, or nil. It reads input
// fields that the ent input type lacks (CreateOrderInput.customerEmail), so
// that the resolver can hand them to the ent mutation, whose hooks apply
// the rule for every transport.
func inputString(ctx context.Context, arg, field string) *string {
	fc, oc := graphql.GetFieldContext(ctx), graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return nil
	}
	in, _ := fc.Field.ArgumentMap(oc.Variables)[arg].(map[string]any)
	if s, ok := in[field].(string); ok {
		return &s
	}
	return nil
}
