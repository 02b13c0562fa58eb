package account

import (
	"context"
	"strings"

	"clientele/ent"
	"clientele/ent/customer"
	"clientele/internal/apperr"
	"clientele/internal/viewer"
)

// NormalizeEmail returns the one form in which clientele stores, compares
// and looks up email addresses: trimmed and lower-cased. Uniqueness per
// mode is case-insensitive because every path stores this form.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// FindOrCreateCustomer returns the customer of the caller's mode with the
// given email, creating it (without a password) if there is none, as the
// platform's checkout does with an order's customer_email. A customer token
// only finds itself: any other email answers NOT_FOUND (field
// customerEmail), whether or not a customer has it. It runs in the caller's
// transaction (the order's create hook calls it), so a refused order leaves
// no customer behind.
func FindOrCreateCustomer(ctx context.Context, c *ent.Client, email string) (*ent.Customer, error) {
	email = NormalizeEmail(email)
	cust, err := c.Customer.Query().Where(customer.Email(email)).Only(ctx)
	if ent.IsNotFound(err) {
		if v := viewer.FromContext(ctx); v != nil && v.Kind == viewer.Customer {
			return nil, apperr.New(apperr.NotFound, apperr.Field("customerEmail"), "no customer with this email")
		}
		return c.Customer.Create().SetEmail(email).Save(ctx)
	}
	return cust, err
}
