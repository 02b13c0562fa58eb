package graph_test

// The password reset flow (docs/domain.md, "Password"): a single-use token
// that expires after 24 hours,
// shown once; wrong, reused or expired tokens change nothing.

import (
	"strings"
	"testing"
	"time"

	"clientele/internal/password"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

// lcPasswordHash returns the stored password hash of a customer ("" when it
// has none), read straight from the database.
func lcPasswordHash(t testing.TB, e *testenv.Env, customerID string) string {
	t.Helper()
	c, err := e.Ent().Customer.Get(e.Context(), customerID)
	require.NoError(t, err)
	if c.Password == nil {
		return ""
	}
	return *c.Password
}

// lcRequirePassword checks that the customer's password is pw.
func lcRequirePassword(t testing.TB, e *testenv.Env, customerID, pw string) {
	t.Helper()
	h := lcPasswordHash(t, e, customerID)
	require.NotEmpty(t, h, "the customer has no password")
	ok, err := password.Verify(pw, h)
	require.NoError(t, err)
	require.True(t, ok, "the customer's password is not the expected one")
}

// lcResetState is everything a refused reset must leave as it was.
type lcResetState struct {
	Customer map[string]any
	Hash     string
	Reset    map[string]any
	Events   int
}

func lcResetSnapshot(t testing.TB, e *testenv.Env, customerID, resetID string) lcResetState {
	t.Helper()
	return lcResetState{
		Customer: lcMustNode(t, e, customerID),
		Hash:     lcPasswordHash(t, e, customerID),
		Reset:    lcMustNode(t, e, resetID),
		Events:   lcEventCount(t, e, nil),
	}
}

func lcResetPassword(t testing.TB, e *testenv.Env, id, token, pw string) *testenv.Response {
	t.Helper()
	return e.Do(t, lcResetMutation, map[string]any{"id": id, "token": token, "pw": pw})
}

func TestPasswordResetHappyPath(t *testing.T) {
	e := lcNewEnv(t)
	e.Now = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	email := lcUniqueEmail("forgetful")
	cus := lcCreateCustomer(t, e, map[string]any{"email": email})
	require.Equal(t, false, lcMustNode(t, e, cus)["hasPassword"])
	newPassword := "correct horse battery staple"

	id, token, created := lcCreateReset(t, e, strings.ToUpper(email))
	require.Equal(t, 1, strings.Count(created.Raw, token), "the token is in the payload once, in resetPasswordToken only")
	require.GreaterOrEqual(t, len(token), 32, "the token must be long enough not to be guessed")
	reset := created.Get("createCustomerPasswordReset.customerPasswordReset").(map[string]any)
	require.Equal(t, cus, reset["customerID"])
	require.Equal(t, email, reset["customerEmail"])
	require.Nil(t, reset["resetPasswordAt"])
	require.True(t, lcParseTime(t, reset["expiresAt"]).Equal(e.Now.Add(24*time.Hour)), "a token expires 24 h after it was made: %v", reset["expiresAt"])

	// A second reset gets a different token.
	_, other, _ := lcCreateReset(t, e, email)
	require.NotEqual(t, token, other)

	// The token cannot be read back.
	for _, f := range lcTypeFields(t, e, "CustomerPasswordReset") {
		require.NotContains(t, strings.ToLower(f), "token", "CustomerPasswordReset exposes %s", f)
	}
	r := e.Do(t, `query($id: ID!) { node(id: $id) { ... on CustomerPasswordReset { resetPasswordToken } } }`, map[string]any{"id": id})
	require.Contains(t, r.ErrorCodes(), "GRAPHQL_VALIDATION_FAILED")
	require.NotContains(t, r.Raw, token)

	r = lcResetPassword(t, e, id, token, newPassword)
	require.Empty(t, r.Errors, r.Raw)
	require.Empty(t, lcUserErrorsOf(t, r, "resetCustomerPassword"), r.Raw)
	require.NotContains(t, r.Raw, token)
	at := r.Get("resetCustomerPassword.customerPasswordReset.resetPasswordAt")
	require.NotNil(t, at, r.Raw)
	require.True(t, lcParseTime(t, at).Equal(e.Now), "resetPasswordAt is the time of the reset: %v", at)

	c := lcMustNode(t, e, cus)
	require.Equal(t, true, c["hasPassword"])
	lcRequirePassword(t, e, cus, newPassword)
	require.NotNil(t, lcMustNode(t, e, id)["resetPasswordAt"])

	evs := lcEventsOf(t, e, id)
	require.Equal(t, []string{"customer_password_resets.create", "customer_password_resets.reset_password"}, lcNamesOf(evs))
	for _, ev := range evs {
		require.Equal(t, "customer_password_resets", ev.ResourceType)
	}
	require.Contains(t, lcNamesOf(lcEventsOf(t, e, cus)), "customers.create_password")

	// Nothing later shows the token, the password or its hash.
	later := []string{
		e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on CustomerPasswordReset { id customerID customerEmail expiresAt resetPasswordAt createdAt updatedAt metadata reference
			customer { id email hasPassword } events(first: 100) { edges { node { name payload } } } } } }`, map[string]any{"id": id}).Raw,
		e.MustDo(t, `{ customerPasswordResets(first: 100) { edges { node { id customerEmail expiresAt resetPasswordAt } } } }`, nil).Raw,
		e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Customer { id email hasPassword metadata
			customerPasswordResets(first: 100) { edges { node { id resetPasswordAt } } }
			events(first: 100) { edges { node { name payload } } } } } }`, map[string]any{"id": cus}).Raw,
	}
	all, raw := lcFetchEvents(t, e, nil)
	later = append(later, raw)
	for _, text := range later {
		require.NotContains(t, text, token)
		require.NotContains(t, text, newPassword)
		require.NotContains(t, text, "$argon2id$")
	}
	lcRequireNoSecrets(t, all, raw, []string{token, other, newPassword})
}

func TestPasswordResetReplacesAnExistingPassword(t *testing.T) {
	e := lcNewEnv(t)
	email := lcUniqueEmail("registered")
	cus := lcCreateCustomer(t, e, map[string]any{"email": email, "password": "the-old-password"})
	id, token, _ := lcCreateReset(t, e, email)
	r := lcResetPassword(t, e, id, token, "the-new-password")
	require.Empty(t, lcUserErrorsOf(t, r, "resetCustomerPassword"), r.Raw)
	lcRequirePassword(t, e, cus, "the-new-password")
	ok, err := password.Verify("the-old-password", lcPasswordHash(t, e, cus))
	require.NoError(t, err)
	require.False(t, ok, "the old password must no longer work")
}

func TestPasswordResetRefusals(t *testing.T) {
	tests := []struct {
		name string
		// prepare may use the token first and returns the token and id to try.
		prepare func(t testing.TB, e *testenv.Env, id, token string) (tryID, tryToken string)
		field   string
		// stillValid: the real token must still work afterwards.
		stillValid bool
	}{
		{"wrong token", func(t testing.TB, e *testenv.Env, id, token string) (string, string) {
			return id, lcFlip(token)
		}, "token", true},
		{"empty token", func(t testing.TB, e *testenv.Env, id, token string) (string, string) {
			return id, ""
		}, "token", true},
		{"token with extra characters", func(t testing.TB, e *testenv.Env, id, token string) (string, string) {
			return id, token + "x"
		}, "token", true},
		{"token of another reset", func(t testing.TB, e *testenv.Env, id, token string) (string, string) {
			_, otherToken, _ := lcCreateReset(t, e, lcMustNode(t, e, lcCreateCustomer(t, e, map[string]any{"email": lcUniqueEmail("other")}))["email"].(string))
			return id, otherToken
		}, "token", true},
		{"reused token", func(t testing.TB, e *testenv.Env, id, token string) (string, string) {
			r := lcResetPassword(t, e, id, token, "first-new-password")
			require.Empty(t, lcUserErrorsOf(t, r, "resetCustomerPassword"), r.Raw)
			return id, token
		}, "token", false},
		{"expired token", func(t testing.TB, e *testenv.Env, id, token string) (string, string) {
			e.Now = e.Now.Add(25 * time.Hour)
			return id, token
		}, "token", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := lcNewEnv(t)
			email := lcUniqueEmail("guest")
			cus := lcCreateCustomer(t, e, map[string]any{"email": email})
			id, token, _ := lcCreateReset(t, e, email)
			tryID, tryToken := tc.prepare(t, e, id, token)
			before := lcResetSnapshot(t, e, cus, id)

			r := lcResetPassword(t, e, tryID, tryToken, "another-good-password")
			lcRequireRefused(t, r, "resetCustomerPassword", "INVALID", tc.field)
			require.Equal(t, before, lcResetSnapshot(t, e, cus, id), "a refused reset changes nothing")
			if tc.name != "reused token" {
				require.Equal(t, false, before.Customer["hasPassword"])
				require.Nil(t, before.Reset["resetPasswordAt"])
			}
			if tc.stillValid {
				r = lcResetPassword(t, e, id, token, "the-right-password")
				require.Empty(t, lcUserErrorsOf(t, r, "resetCustomerPassword"), "the refused try must not burn the token: %s", r.Raw)
				lcRequirePassword(t, e, cus, "the-right-password")
			}
		})
	}
}

// lcFlip changes the last character of a token.
func lcFlip(token string) string {
	last := token[len(token)-1]
	if last == 'A' {
		return token[:len(token)-1] + "B"
	}
	return token[:len(token)-1] + "A"
}

func TestPasswordResetJustBeforeExpiry(t *testing.T) {
	e := lcNewEnv(t)
	email := lcUniqueEmail("late")
	cus := lcCreateCustomer(t, e, map[string]any{"email": email})
	id, token, _ := lcCreateReset(t, e, email)
	e.Now = e.Now.Add(23*time.Hour + 59*time.Minute)
	r := lcResetPassword(t, e, id, token, "just-in-time")
	require.Empty(t, lcUserErrorsOf(t, r, "resetCustomerPassword"), r.Raw)
	require.Equal(t, true, lcMustNode(t, e, cus)["hasPassword"])
}

func TestPasswordResetBadPasswordKeepsTheToken(t *testing.T) {
	tests := []struct {
		name, password, code string
	}{
		{"too short", "short", "INVALID"},
		{"seven characters", "1234567", "INVALID"},
		{"empty", "", "INVALID"},
		{"too long", strings.Repeat("p", 257), "TOO_LONG"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := lcNewEnv(t)
			email := lcUniqueEmail("guest")
			cus := lcCreateCustomer(t, e, map[string]any{"email": email})
			id, token, _ := lcCreateReset(t, e, email)
			before := lcResetSnapshot(t, e, cus, id)

			r := lcResetPassword(t, e, id, token, tc.password)
			lcRequireRefused(t, r, "resetCustomerPassword", tc.code, "password")
			require.Equal(t, before, lcResetSnapshot(t, e, cus, id), "a refused reset changes nothing")
			require.Nil(t, lcMustNode(t, e, id)["resetPasswordAt"])
			require.Equal(t, false, lcMustNode(t, e, cus)["hasPassword"])

			r = lcResetPassword(t, e, id, token, "a-good-password")
			require.Empty(t, lcUserErrorsOf(t, r, "resetCustomerPassword"), "the token must survive a refused password: %s", r.Raw)
			lcRequirePassword(t, e, cus, "a-good-password")
		})
	}
}

func TestPasswordResetUnknownEmailOrID(t *testing.T) {
	e := lcNewEnv(t)
	lcNewCustomer(t, e)
	events := lcEventCount(t, e, nil)
	for _, email := range []string{"nobody@example.com", "", "not-an-email"} {
		r := e.Do(t, `mutation($email: String!) { createCustomerPasswordReset(customerEmail: $email) { customerPasswordReset { id } resetPasswordToken userErrors { code field } } }`,
			map[string]any{"email": email})
		lcRequireRefused(t, r, "createCustomerPasswordReset", "NOT_FOUND", "customerEmail")
	}
	require.Equal(t, 0, e.MustDo(t, `{ customerPasswordResets { totalCount } }`, nil).Int("customerPasswordResets.totalCount"))
	require.Equal(t, events, lcEventCount(t, e, nil))

	r := lcResetPassword(t, e, "cpr_01JD3Q8Z1K9Y8F7M6N5B4V3C2X", "whatever", "a-good-password")
	lcRequireNotFound(t, r, "resetCustomerPassword", "id")
	require.Equal(t, events, lcEventCount(t, e, nil))
}

func TestChangingAnExistingPassword(t *testing.T) {
	const update = `mutation($id: ID!, $in: UpdateCustomerInput!) { updateCustomer(id: $id, input: $in) { customer { id hasPassword } userErrors { code field } } }`
	admin := &viewer.Viewer{Mode: viewer.Test, Kind: viewer.Integration, Role: viewer.Admin}

	t.Run("refused for a non-admin caller", func(t *testing.T) {
		e := lcNewEnv(t)
		cus := lcCreateCustomer(t, e, map[string]any{"email": lcUniqueEmail("locked"), "password": "the-first-password"})
		hash := lcPasswordHash(t, e, cus)
		events := lcEventCount(t, e, nil)

		e.As = &viewer.Viewer{Mode: viewer.Test, Kind: viewer.SalesChannel}
		r := e.Do(t, update, map[string]any{"id": cus, "in": map[string]any{"password": "a-sneaky-password"}})
		e.As = admin
		require.Nil(t, r.Get("updateCustomer.customer"), "a non-admin must not change a password: %s", r.Raw)
		require.True(t, len(r.Errors) > 0 || len(lcUserErrorsOf(t, r, "updateCustomer")) > 0, "the refusal must be reported: %s", r.Raw)
		require.NotContains(t, r.Raw, "a-sneaky-password")
		require.Equal(t, hash, lcPasswordHash(t, e, cus), "the password must be unchanged")
		lcRequirePassword(t, e, cus, "the-first-password")
		require.Equal(t, events, lcEventCount(t, e, nil))
	})

	t.Run("allowed for an admin integration", func(t *testing.T) {
		e := lcNewEnv(t)
		cus := lcCreateCustomer(t, e, map[string]any{"email": lcUniqueEmail("admin"), "password": "the-first-password"})
		e.MustDo(t, update, map[string]any{"id": cus, "in": map[string]any{"password": "the-second-password"}})
		lcRequirePassword(t, e, cus, "the-second-password")
		require.Equal(t, 2, lcCountName(lcEventsOf(t, e, cus), "customers.create_password"))
	})

	t.Run("a guest gets a first password by update", func(t *testing.T) {
		e := lcNewEnv(t)
		cus := lcNewCustomer(t, e)
		r := e.MustDo(t, update, map[string]any{"id": cus, "in": map[string]any{"password": "the-first-password"}})
		require.Equal(t, true, r.Get("updateCustomer.customer.hasPassword"))
		lcRequirePassword(t, e, cus, "the-first-password")
		evs := lcEventsOf(t, e, cus)
		require.Equal(t, 1, lcCountName(evs, "customers.create_password"), lcNamesOf(evs))
	})
}
