package account

import (
	"context"
	"strings"

	"clientele/ent"
	"clientele/ent/customer"
)

// FindOrCreateCustomer returns the customer of the caller's mode with the
// given email, creating it (without a password) if there is none, as the
// platform's checkout does with an order's customer_email.
func FindOrCreateCustomer(ctx context.Context, c *ent.Client, email string) (*ent.Customer, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	cust, err := c.Customer.Query().Where(customer.Email(email)).Only(ctx)
	if ent.IsNotFound(err) {
		return c.Customer.Create().SetEmail(email).Save(ctx)
	}
	return cust, err
}
