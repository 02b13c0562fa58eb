// Package account holds the rules about a customer's account that more than
// one path needs: the one stored form of an email, finding or creating a
// customer by email (an order's create hook), and the password reset flow
// (a random single-use token spent on a new password). Transports and ent
// hooks call it; the hooks record the events.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"time"

	"clientele/ent"
	"clientele/ent/customer"
	"clientele/ent/customerpasswordreset"
	"clientele/internal/apperr"
	"clientele/internal/clock"
	"clientele/internal/password"
	"clientele/internal/viewer"
)

// ResetTTL is how long a reset token is accepted.
const ResetTTL = 24 * time.Hour

// hashToken returns the stored form of a token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreatePasswordReset starts a reset for the customer with the given email.
// It returns the reset and the plain token (256 random bits), which is
// stored only hashed and cannot be read again; the token is returned only
// to integrations (nil for storefronts), which deliver it to the customer,
// e.g. in an emailed link. The token expires ResetTTL after ctx's clock.
// Errors: NOT_FOUND (field customerEmail) when no customer of the caller's
// mode has that email.
func CreatePasswordReset(ctx context.Context, c *ent.Client, email string) (*ent.CustomerPasswordReset, *string, error) {
	email = NormalizeEmail(email)
	// Anonymous storefronts start resets for customers they cannot read.
	cust, err := c.Customer.Query().Where(customer.Email(email)).Only(viewer.Elevated(ctx))
	if ent.IsNotFound(err) {
		return nil, nil, apperr.New(apperr.NotFound, apperr.Field("customerEmail"), "no customer has this email")
	}
	if err != nil {
		return nil, nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	r, err := c.CustomerPasswordReset.Create().
		SetCustomerID(cust.ID).
		SetCustomerEmail(email).
		SetTokenHash(hashToken(token)).
		SetExpiresAt(clock.Now(ctx).Add(ResetTTL)).
		Save(ctx)
	if err != nil {
		return nil, nil, err
	}
	if v := viewer.FromContext(ctx); v == nil || !v.CanReadAll() {
		return r, nil, nil
	}
	return r, &token, nil
}

// ResetPassword sets the customer's new password with a reset's token, stamps
// the reset and burns the token. Errors: NOT_FOUND (field id) for an unknown
// reset; INVALID (field token) for a wrong, used or expired token (by ctx's
// clock); INVALID or TOO_LONG (field password) for an unacceptable
// password. On any error nothing changes.
func ResetPassword(ctx context.Context, c *ent.Client, id, token, newPassword string) (*ent.CustomerPasswordReset, error) {
	now := clock.Now(ctx)
	// The token is the authority here, whoever the caller is (typically an
	// anonymous storefront): the flow runs with the server's rights.
	ctx = viewer.Elevated(ctx)
	r, err := c.CustomerPasswordReset.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, apperr.Field("id"), "no password reset with this ID")
	}
	if err != nil {
		return nil, err
	}
	h := hashToken(token)
	if r.TokenHash == nil || subtle.ConstantTimeCompare([]byte(h), []byte(*r.TokenHash)) != 1 || !now.Before(r.ExpiresAt) {
		return nil, apperr.New(apperr.Invalid, apperr.Field("token"), "the reset token is wrong, already used or expired")
	}
	// Burn the token first, conditionally, so that two concurrent uses of
	// the same token cannot both succeed.
	r, err = c.CustomerPasswordReset.UpdateOneID(id).
		Where(customerpasswordreset.TokenHash(h)).
		ClearTokenHash().
		SetResetPasswordAt(now).
		Save(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.Invalid, apperr.Field("token"), "the reset token is wrong, already used or expired")
	}
	if err != nil {
		return nil, err
	}
	err = c.Customer.UpdateOneID(r.CustomerID).SetPassword(newPassword).Exec(password.WithReset(ctx))
	if err != nil {
		return nil, err
	}
	return r, nil
}
