package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// countsQuery counts every table through the API, events included.
const countsQuery = `{
	customers { totalCount } customerGroups { totalCount } addresses { totalCount }
	customerAddresses { totalCount } customerPaymentSources { totalCount }
	customerSubscriptions { totalCount } attachments { totalCount } orders { totalCount }
	returns { totalCount } orderSubscriptions { totalCount } customerPasswordResets { totalCount }
	events { totalCount } }`

// tableCounts returns the number of records of every kind.
func tableCounts(t testing.TB, e *testenv.Env) map[string]int {
	t.Helper()
	r := e.MustDo(t, countsQuery, nil)
	out := map[string]int{}
	for k := range r.Data {
		out[k] = r.Int(k + ".totalCount")
	}
	return out
}

// recordQuery reads the writable state of any record, with updatedAt.
const recordQuery = `query($id: ID!) { node(id: $id) { __typename id
	... on Customer { email reference referenceOrigin metadata hasPassword updatedAt customerGroup { id } }
	... on CustomerGroup { name code reference metadata updatedAt }
	... on Address { business firstName lastName company line1 city countryCode phone updatedAt }
	... on CustomerAddress { address { id } updatedAt }
	... on CustomerPaymentSource { paymentSourceName: name customerToken paymentSourceToken paymentMethodType updatedAt }
	... on CustomerSubscription { topic: reference referenceOrigin updatedAt }
	... on Attachment { name description url updatedAt }
	... on Order { currencyCode totalAmountCents updatedAt }
} }`

func recordState(t testing.TB, e *testenv.Env, id string) string {
	t.Helper()
	if id == "" {
		return ""
	}
	r := e.MustDo(t, recordQuery, map[string]any{"id": id})
	b, err := json.Marshal(r.Data)
	require.NoError(t, err)
	return string(b)
}

// refusal is a mutation that must come back with a user error and change
// nothing.
type refusal struct {
	name  string
	query string
	vars  map[string]any
	code  string
	field []string // nil: the field is not checked
	// unchanged is a record whose state must not change.
	unchanged string
}

// requireRefusals runs the cases one after another on e (they share its
// data, and each checks that the whole database is unchanged).
func requireRefusals(t *testing.T, e *testenv.Env, cases []refusal) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tableCounts(t, e)
			state := recordState(t, e, tc.unchanged)
			r := e.Do(t, tc.query, tc.vars)
			require.Equal(t, 200, r.Status, r.Raw)
			require.Empty(t, r.Errors, "a refusal is a user error, not a top-level error: %s", r.Raw)
			var root string
			for k := range r.Data {
				root = k
			}
			ues := payloadErrors(t, r, root)
			require.NotEmpty(t, ues, "no user error: %s", r.Raw)
			found := false
			for _, ue := range ues {
				if ue.Code == tc.code && (tc.field == nil || equalFields(ue.Field, tc.field)) {
					found = true
				}
			}
			require.True(t, found, "want code %s field %v, got %+v", tc.code, tc.field, ues)
			// The payload carries no record.
			for k, v := range r.Get(root).(map[string]any) {
				if k != "userErrors" {
					require.Nil(t, v, "%s.%s must be null on a refusal", root, k)
				}
			}
			require.Equal(t, before, tableCounts(t, e), "a refused mutation changed the database")
			require.Equal(t, state, recordState(t, e, tc.unchanged), "a refused mutation changed the record")
		})
	}
}

func equalFields(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// eventNames returns the names of the events about a resource.
func eventNames(t testing.TB, e *testenv.Env, resourceID string) []string {
	t.Helper()
	r := e.MustDo(t, `query($id: String!) { events(first: 100, where: {resourceID: $id}) { edges { node { name payload } } } }`, map[string]any{"id": resourceID})
	var out []string
	for i := range r.Get("events.edges").([]any) {
		out = append(out, r.Str(fmt.Sprintf("events.edges.%d.node.name", i)))
	}
	return out
}

const (
	createCustomerQ = `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) {
		customer { id email status hasPassword totalOrdersCount reference referenceOrigin metadata customerGroup { id } } userErrors { code field message } } }`
	updateCustomerQ = `mutation($id: ID!, $in: UpdateCustomerInput!) { updateCustomer(id: $id, input: $in) {
		customer { id email status hasPassword reference referenceOrigin metadata updatedAt customerGroup { id } } userErrors { code field message } } }`
	deleteCustomerQ = `mutation($id: ID!) { deleteCustomer(id: $id) { deletedID userErrors { code field message } } }`
)

func TestCustomerMutations(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	group := mustCreate(t, e, "CustomerGroup", map[string]any{"name": "Gold"})

	before := tableCounts(t, e)
	r := e.MustDo(t, createCustomerQ, map[string]any{"in": map[string]any{
		"email": "  Mixed.Case@Example.COM ", "reference": "R1", "referenceOrigin": "crm", "metadata": map[string]any{"a": 1, "keep": "no"},
	}})
	id := r.Str("createCustomer.customer.id")
	require.Regexp(t, `^cus_`, id)
	require.Equal(t, "mixed.case@example.com", r.Str("createCustomer.customer.email"), "trimmed and lower-cased")
	require.Equal(t, "PROSPECT", r.Str("createCustomer.customer.status"))
	require.Equal(t, false, r.Get("createCustomer.customer.hasPassword"))
	require.Equal(t, 0, r.Int("createCustomer.customer.totalOrdersCount"))
	require.Equal(t, "R1", r.Str("createCustomer.customer.reference"))
	require.Equal(t, "crm", r.Str("createCustomer.customer.referenceOrigin"))
	require.Equal(t, map[string]any{"a": float64(1), "keep": "no"}, r.Get("createCustomer.customer.metadata"))
	require.Equal(t, []any{}, r.Get("createCustomer.userErrors"))
	after := tableCounts(t, e)
	require.Equal(t, before["customers"]+1, after["customers"])
	require.Greater(t, after["events"], before["events"])
	require.Contains(t, eventNames(t, e, id), "customers.create")

	t.Run("set a password", func(t *testing.T) {
		r := e.MustDo(t, updateCustomerQ, map[string]any{"id": id, "in": map[string]any{"password": "correct horse battery"}})
		require.Equal(t, true, r.Get("updateCustomer.customer.hasPassword"))
		require.NotContains(t, r.Raw, "correct horse battery")
		require.Contains(t, eventNames(t, e, id), "customers.create_password")
		r = e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Customer { hasPassword } } }`, map[string]any{"id": id})
		require.Equal(t, true, r.Get("node.hasPassword"))
	})

	t.Run("metadata on update replaces the whole object", func(t *testing.T) {
		r := e.MustDo(t, updateCustomerQ, map[string]any{"id": id, "in": map[string]any{"metadata": map[string]any{"b": "x", "n": map[string]any{"deep": []any{1, "two"}}}}})
		md, err := json.Marshal(r.Get("updateCustomer.customer.metadata"))
		require.NoError(t, err)
		require.JSONEq(t, `{"b":"x","n":{"deep":[1,"two"]}}`, string(md))
		r = e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Customer { metadata } } }`, map[string]any{"id": id})
		md, err = json.Marshal(r.Get("node.metadata"))
		require.NoError(t, err)
		require.JSONEq(t, `{"b":"x","n":{"deep":[1,"two"]}}`, string(md))
		require.Contains(t, eventNames(t, e, id), "customers.metadata_update")
		// An empty object clears it.
		r = e.MustDo(t, updateCustomerQ, map[string]any{"id": id, "in": map[string]any{"metadata": map[string]any{}}})
		require.Equal(t, map[string]any{}, r.Get("updateCustomer.customer.metadata"))
	})

	t.Run("update fields, group and email", func(t *testing.T) {
		r := e.MustDo(t, updateCustomerQ, map[string]any{"id": id, "in": map[string]any{
			"email": " NEW@Example.com", "reference": "R2", "customerGroupID": group,
		}})
		require.Equal(t, "new@example.com", r.Str("updateCustomer.customer.email"))
		require.Equal(t, "R2", r.Str("updateCustomer.customer.reference"))
		require.Equal(t, "crm", r.Str("updateCustomer.customer.referenceOrigin"), "omitted fields keep their value")
		require.Equal(t, group, r.Str("updateCustomer.customer.customerGroup.id"))
		require.Regexp(t, rfc3339MillisUTC, r.Str("updateCustomer.customer.updatedAt"))
		r = e.MustDo(t, updateCustomerQ, map[string]any{"id": id, "in": map[string]any{"clearCustomerGroup": true, "clearReference": true}})
		require.Nil(t, r.Get("updateCustomer.customer.customerGroup"))
		require.Nil(t, r.Get("updateCustomer.customer.reference"))
		require.Contains(t, eventNames(t, e, id), "customers.update")
	})

	t.Run("create with a password", func(t *testing.T) {
		r := e.MustDo(t, createCustomerQ, map[string]any{"in": map[string]any{"email": "withpw@example.com", "password": "12345678", "customerGroupID": group}})
		require.Equal(t, true, r.Get("createCustomer.customer.hasPassword"), "8 characters is enough")
		require.Equal(t, group, r.Str("createCustomer.customer.customerGroup.id"))
		r = e.MustDo(t, createCustomerQ, map[string]any{"in": map[string]any{"email": "longpw@example.com", "password": strings.Repeat("p", 256)}})
		require.Equal(t, true, r.Get("createCustomer.customer.hasPassword"), "256 characters is allowed")
	})

	t.Run("delete", func(t *testing.T) {
		before := tableCounts(t, e)
		r := e.MustDo(t, deleteCustomerQ, map[string]any{"id": id})
		require.Equal(t, id, r.Str("deleteCustomer.deletedID"))
		after := tableCounts(t, e)
		require.Equal(t, before["customers"]-1, after["customers"])
		require.Contains(t, eventNames(t, e, id), "customers.destroy")
		r = e.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
		require.Nil(t, r.Get("node"))
		require.Equal(t, []string{"NOT_FOUND"}, r.ErrorCodes())
		// The email is free again.
		mustCustomer(t, e, "new@example.com")
	})
}

func TestCustomerMutationRefusals(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	taken := mustCustomer(t, e, "taken@example.com")
	mustCustomer(t, e, "other@example.com")
	longEmail := strings.Repeat("a", 243) + "@example.com" // 255 characters
	require.Len(t, longEmail, 255)
	in := func(m map[string]any) map[string]any { return map[string]any{"in": m} }
	upd := func(id string, m map[string]any) map[string]any { return map[string]any{"id": id, "in": m} }
	requireRefusals(t, e, []refusal{
		{"bad email", createCustomerQ, in(map[string]any{"email": "not-an-email"}), "INVALID", []string{"email"}, ""},
		{"email without a domain dot", createCustomerQ, in(map[string]any{"email": "a@localhost"}), "INVALID", []string{"email"}, ""},
		{"email with a display name", createCustomerQ, in(map[string]any{"email": "Bob <bob@example.com>"}), "INVALID", []string{"email"}, ""},
		{"empty email", createCustomerQ, in(map[string]any{"email": ""}), "INVALID", []string{"email"}, ""},
		{"blank email", createCustomerQ, in(map[string]any{"email": "   "}), "INVALID", []string{"email"}, ""},
		{"email over 254", createCustomerQ, in(map[string]any{"email": longEmail}), "TOO_LONG", []string{"email"}, ""},
		{"duplicate email", createCustomerQ, in(map[string]any{"email": "taken@example.com"}), "TAKEN", []string{"email"}, ""},
		{"duplicate email other case", createCustomerQ, in(map[string]any{"email": "TAKEN@Example.COM"}), "TAKEN", []string{"email"}, ""},
		{"duplicate email with spaces", createCustomerQ, in(map[string]any{"email": "  taken@example.com \t"}), "TAKEN", []string{"email"}, ""},
		{"password too short", createCustomerQ, in(map[string]any{"email": "short@example.com", "password": "1234567"}), "INVALID", []string{"password"}, ""},
		{"password too long", createCustomerQ, in(map[string]any{"email": "long@example.com", "password": strings.Repeat("p", 257)}), "TOO_LONG", []string{"password"}, ""},
		{"unknown group", createCustomerQ, in(map[string]any{"email": "g@example.com", "customerGroupID": "cgr_" + absentULID}), "NOT_FOUND", []string{"customerGroupID"}, ""},
		{"update unknown id", updateCustomerQ, upd("cus_"+absentULID, map[string]any{"reference": "x"}), "NOT_FOUND", []string{"id"}, ""},
		{"update garbage id", updateCustomerQ, upd("garbage", map[string]any{"reference": "x"}), "NOT_FOUND", nil, ""},
		{"update bad email", updateCustomerQ, upd(taken, map[string]any{"email": "nope", "reference": "changed"}), "INVALID", []string{"email"}, taken},
		{"update email over 254", updateCustomerQ, upd(taken, map[string]any{"email": longEmail}), "TOO_LONG", []string{"email"}, taken},
		{"update to a taken email", updateCustomerQ, upd(taken, map[string]any{"email": " OTHER@example.com", "reference": "changed"}), "TAKEN", []string{"email"}, taken},
		{"update password too short", updateCustomerQ, upd(taken, map[string]any{"password": "short", "reference": "changed"}), "INVALID", []string{"password"}, taken},
		{"update password too long", updateCustomerQ, upd(taken, map[string]any{"password": strings.Repeat("x", 257)}), "TOO_LONG", []string{"password"}, taken},
		{"update unknown group", updateCustomerQ, upd(taken, map[string]any{"customerGroupID": "cgr_" + absentULID}), "NOT_FOUND", []string{"customerGroupID"}, taken},
		{"delete unknown id", deleteCustomerQ, map[string]any{"id": "cus_" + absentULID}, "NOT_FOUND", nil, ""},
		{"delete id of another type", deleteCustomerQ, map[string]any{"id": "ord_" + absentULID}, "NOT_FOUND", nil, ""},
	})
}

const (
	createGroupQ = `mutation($in: CreateCustomerGroupInput!) { createCustomerGroup(input: $in) { customerGroup { id name code links { self } } userErrors { code field } } }`
	updateGroupQ = `mutation($id: ID!, $in: UpdateCustomerGroupInput!) { updateCustomerGroup(id: $id, input: $in) { customerGroup { id name code } userErrors { code field } } }`
	deleteGroupQ = `mutation($id: ID!) { deleteCustomerGroup(id: $id) { deletedID userErrors { code field } } }`
)

func TestCustomerGroupMutations(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	r := e.MustDo(t, createGroupQ, map[string]any{"in": map[string]any{"name": "Gold", "code": "gold"}})
	id := r.Str("createCustomerGroup.customerGroup.id")
	require.Regexp(t, `^cgr_`, id)
	require.Equal(t, "Gold", r.Str("createCustomerGroup.customerGroup.name"))
	require.Equal(t, "gold", r.Str("createCustomerGroup.customerGroup.code"))
	require.Equal(t, "https://clientele.test/api/customer_groups/"+id, r.Str("createCustomerGroup.customerGroup.links.self"))
	require.Contains(t, eventNames(t, e, id), "customer_groups.create")
	other := mustCreate(t, e, "CustomerGroup", map[string]any{"name": "Silver", "code": "silver"})

	r = e.MustDo(t, updateGroupQ, map[string]any{"id": id, "in": map[string]any{"name": "Platinum", "code": "plat"}})
	require.Equal(t, "Platinum", r.Str("updateCustomerGroup.customerGroup.name"))
	require.Equal(t, "plat", r.Str("updateCustomerGroup.customerGroup.code"))
	require.Contains(t, eventNames(t, e, id), "customer_groups.update")

	requireRefusals(t, e, []refusal{
		{"duplicate code", createGroupQ, map[string]any{"in": map[string]any{"name": "Again", "code": "plat"}}, "TAKEN", []string{"code"}, ""},
		{"empty name", createGroupQ, map[string]any{"in": map[string]any{"name": ""}}, "INVALID", []string{"name"}, ""},
		{"name too long", createGroupQ, map[string]any{"in": map[string]any{"name": strings.Repeat("n", 256)}}, "TOO_LONG", []string{"name"}, ""},
		{"update to a taken code", updateGroupQ, map[string]any{"id": other, "in": map[string]any{"code": "plat", "name": "changed"}}, "TAKEN", []string{"code"}, other},
		{"update unknown id", updateGroupQ, map[string]any{"id": "cgr_" + absentULID, "in": map[string]any{"name": "x"}}, "NOT_FOUND", []string{"id"}, ""},
		{"delete unknown id", deleteGroupQ, map[string]any{"id": "cgr_" + absentULID}, "NOT_FOUND", nil, ""},
	})

	t.Run("delete", func(t *testing.T) {
		r := e.MustDo(t, deleteGroupQ, map[string]any{"id": id})
		require.Equal(t, id, r.Str("deleteCustomerGroup.deletedID"))
		require.Contains(t, eventNames(t, e, id), "customer_groups.destroy")
		// The code is free again.
		mustCreate(t, e, "CustomerGroup", map[string]any{"name": "New", "code": "plat"})
	})
}

const (
	createAddressQ = `mutation($in: CreateAddressInput!) { createAddress(input: $in) { address { id business firstName lastName company fullName countryCode city name fullAddress isLocalized } userErrors { code field } } }`
	updateAddressQ = `mutation($id: ID!, $in: UpdateAddressInput!) { updateAddress(id: $id, input: $in) { address { id city firstName company business } userErrors { code field } } }`
	deleteAddressQ = `mutation($id: ID!) { deleteAddress(id: $id) { deletedID userErrors { code field } } }`
)

func TestAddressMutations(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	r := e.MustDo(t, createAddressQ, map[string]any{"in": addressInput(map[string]any{"countryCode": "it", "lat": 43.77, "lng": 11.25})})
	personal := r.Str("createAddress.address.id")
	require.Regexp(t, `^adr_`, personal)
	require.Equal(t, "IT", r.Str("createAddress.address.countryCode"), "normalised to upper case")
	require.Equal(t, "Ada Lovelace", r.Str("createAddress.address.fullName"))
	require.Equal(t, false, r.Get("createAddress.address.business"))
	require.Equal(t, true, r.Get("createAddress.address.isLocalized"))
	require.Contains(t, r.Str("createAddress.address.fullAddress"), "Firenze")
	require.Contains(t, eventNames(t, e, personal), "addresses.create")

	r = e.MustDo(t, createAddressQ, map[string]any{"in": addressInput(map[string]any{"business": true, "company": "ACME", "firstName": nil, "lastName": nil})})
	business := r.Str("createAddress.address.id")
	require.Equal(t, "ACME", r.Str("createAddress.address.fullName"))
	require.Equal(t, true, r.Get("createAddress.address.business"))

	r = e.MustDo(t, updateAddressQ, map[string]any{"id": personal, "in": map[string]any{"city": "Milano"}})
	require.Equal(t, "Milano", r.Str("updateAddress.address.city"))
	require.Equal(t, "Ada", r.Str("updateAddress.address.firstName"))
	require.Contains(t, eventNames(t, e, personal), "addresses.update")

	without := func(k string) map[string]any {
		in := addressInput(nil)
		delete(in, k)
		return in
	}
	requireRefusals(t, e, []refusal{
		{"country code of 3 letters", createAddressQ, map[string]any{"in": addressInput(map[string]any{"countryCode": "ITA"})}, "INVALID", []string{"countryCode"}, ""},
		{"country code with a digit", createAddressQ, map[string]any{"in": addressInput(map[string]any{"countryCode": "I1"})}, "INVALID", []string{"countryCode"}, ""},
		{"empty country code", createAddressQ, map[string]any{"in": addressInput(map[string]any{"countryCode": ""})}, "INVALID", []string{"countryCode"}, ""},
		{"personal without first name", createAddressQ, map[string]any{"in": without("firstName")}, "INVALID", []string{"firstName"}, ""},
		{"personal without last name", createAddressQ, map[string]any{"in": without("lastName")}, "INVALID", []string{"lastName"}, ""},
		{"personal with blank names", createAddressQ, map[string]any{"in": addressInput(map[string]any{"firstName": " ", "lastName": " "})}, "INVALID", nil, ""},
		{"business without company", createAddressQ, map[string]any{"in": addressInput(map[string]any{"business": true})}, "INVALID", []string{"company"}, ""},
		{"empty line1", createAddressQ, map[string]any{"in": addressInput(map[string]any{"line1": ""})}, "INVALID", []string{"line1"}, ""},
		{"update bad country code", updateAddressQ, map[string]any{"id": personal, "in": map[string]any{"countryCode": "Italy", "city": "Roma"}}, "INVALID", []string{"countryCode"}, personal},
		{"update clears the first name", updateAddressQ, map[string]any{"id": personal, "in": map[string]any{"clearFirstName": true, "city": "Roma"}}, "INVALID", []string{"firstName"}, personal},
		{"update to business without company", updateAddressQ, map[string]any{"id": personal, "in": map[string]any{"business": true}}, "INVALID", []string{"company"}, personal},
		{"update business clears company", updateAddressQ, map[string]any{"id": business, "in": map[string]any{"clearCompany": true}}, "INVALID", []string{"company"}, business},
		{"update unknown id", updateAddressQ, map[string]any{"id": "adr_" + absentULID, "in": map[string]any{"city": "x"}}, "NOT_FOUND", []string{"id"}, ""},
		{"delete unknown id", deleteAddressQ, map[string]any{"id": "adr_" + absentULID}, "NOT_FOUND", nil, ""},
	})

	t.Run("delete", func(t *testing.T) {
		r := e.MustDo(t, deleteAddressQ, map[string]any{"id": business})
		require.Equal(t, business, r.Str("deleteAddress.deletedID"))
		require.Contains(t, eventNames(t, e, business), "addresses.destroy")
	})
}

const (
	createCustomerAddressQ = `mutation($in: CreateCustomerAddressInput!) { createCustomerAddress(input: $in) { customerAddress { id name customerEmail customer { id } address { id } } userErrors { code field } } }`
	updateCustomerAddressQ = `mutation($id: ID!, $in: UpdateCustomerAddressInput!) { updateCustomerAddress(id: $id, input: $in) { customerAddress { id address { id } } userErrors { code field } } }`
	deleteCustomerAddressQ = `mutation($id: ID!) { deleteCustomerAddress(id: $id) { deletedID userErrors { code field } } }`
)

func TestCustomerAddressMutations(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	cus := mustCustomer(t, e, "book@example.com")
	a1 := mustCreate(t, e, "Address", addressInput(nil))
	a2 := mustCreate(t, e, "Address", addressInput(map[string]any{"city": "Pisa"}))
	r := e.MustDo(t, createCustomerAddressQ, map[string]any{"in": map[string]any{"customerID": cus, "addressID": a1}})
	id := r.Str("createCustomerAddress.customerAddress.id")
	require.Regexp(t, `^cad_`, id)
	require.Equal(t, cus, r.Str("createCustomerAddress.customerAddress.customer.id"))
	require.Equal(t, a1, r.Str("createCustomerAddress.customerAddress.address.id"))
	require.Equal(t, "book@example.com", r.Str("createCustomerAddress.customerAddress.customerEmail"))
	require.Contains(t, r.Str("createCustomerAddress.customerAddress.name"), "Ada Lovelace")
	require.Contains(t, eventNames(t, e, id), "customer_addresses.create")

	r = e.MustDo(t, updateCustomerAddressQ, map[string]any{"id": id, "in": map[string]any{"addressID": a2}})
	require.Equal(t, a2, r.Str("updateCustomerAddress.customerAddress.address.id"))

	requireRefusals(t, e, []refusal{
		{"unknown customer", createCustomerAddressQ, map[string]any{"in": map[string]any{"customerID": "cus_" + absentULID, "addressID": a1}}, "NOT_FOUND", []string{"customerID"}, ""},
		{"garbage customer", createCustomerAddressQ, map[string]any{"in": map[string]any{"customerID": "garbage", "addressID": a1}}, "NOT_FOUND", []string{"customerID"}, ""},
		{"customer id of another type", createCustomerAddressQ, map[string]any{"in": map[string]any{"customerID": a2, "addressID": a1}}, "NOT_FOUND", []string{"customerID"}, ""},
		{"unknown address", createCustomerAddressQ, map[string]any{"in": map[string]any{"customerID": cus, "addressID": "adr_" + absentULID}}, "NOT_FOUND", []string{"addressID"}, ""},
		{"update to an unknown address", updateCustomerAddressQ, map[string]any{"id": id, "in": map[string]any{"addressID": "adr_" + absentULID}}, "NOT_FOUND", []string{"addressID"}, id},
		{"update unknown id", updateCustomerAddressQ, map[string]any{"id": "cad_" + absentULID, "in": map[string]any{"addressID": a1}}, "NOT_FOUND", []string{"id"}, ""},
		{"delete unknown id", deleteCustomerAddressQ, map[string]any{"id": "cad_" + absentULID}, "NOT_FOUND", nil, ""},
	})

	t.Run("delete", func(t *testing.T) {
		r := e.MustDo(t, deleteCustomerAddressQ, map[string]any{"id": id})
		require.Equal(t, id, r.Str("deleteCustomerAddress.deletedID"))
		require.Contains(t, eventNames(t, e, id), "customer_addresses.destroy")
		r = e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Customer { customerAddresses { totalCount } } } }`, map[string]any{"id": cus})
		require.Equal(t, 0, r.Int("node.customerAddresses.totalCount"))
	})
}

const (
	createPaymentSourceQ = `mutation($in: CreateCustomerPaymentSourceInput!) { createCustomerPaymentSource(input: $in) { customerPaymentSource { id name paymentMethodType customerToken paymentSourceToken customer { id } } userErrors { code field } } }`
	updatePaymentSourceQ = `mutation($id: ID!, $in: UpdateCustomerPaymentSourceInput!) { updateCustomerPaymentSource(id: $id, input: $in) { customerPaymentSource { id name paymentMethodType } userErrors { code field } } }`
	deletePaymentSourceQ = `mutation($id: ID!) { deleteCustomerPaymentSource(id: $id) { deletedID userErrors { code field } } }`
)

func TestCustomerPaymentSourceMutations(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	cus := mustCustomer(t, e, "wallet@example.com")
	r := e.MustDo(t, createPaymentSourceQ, map[string]any{"in": map[string]any{"customerID": cus, "name": "XXXX-XXXX-XXXX-1111",
		"paymentMethodType": "stripe_payments", "customerToken": "cus_stripe_1", "paymentSourceToken": "pm_1"}})
	id := r.Str("createCustomerPaymentSource.customerPaymentSource.id")
	require.Regexp(t, `^cps_`, id)
	require.Equal(t, cus, r.Str("createCustomerPaymentSource.customerPaymentSource.customer.id"))
	require.Equal(t, "XXXX-XXXX-XXXX-1111", r.Str("createCustomerPaymentSource.customerPaymentSource.name"))
	require.Equal(t, "stripe_payments", r.Str("createCustomerPaymentSource.customerPaymentSource.paymentMethodType"))
	require.Contains(t, eventNames(t, e, id), "customer_payment_sources.create")

	r = e.MustDo(t, updatePaymentSourceQ, map[string]any{"id": id, "in": map[string]any{"name": "XXXX-XXXX-XXXX-4242"}})
	require.Equal(t, "XXXX-XXXX-XXXX-4242", r.Str("updateCustomerPaymentSource.customerPaymentSource.name"))
	require.Equal(t, "stripe_payments", r.Str("updateCustomerPaymentSource.customerPaymentSource.paymentMethodType"))

	requireRefusals(t, e, []refusal{
		{"unknown customer", createPaymentSourceQ, map[string]any{"in": map[string]any{"customerID": "cus_" + absentULID, "name": "x"}}, "NOT_FOUND", []string{"customerID"}, ""},
		{"name too long", createPaymentSourceQ, map[string]any{"in": map[string]any{"customerID": cus, "name": strings.Repeat("n", 256)}}, "TOO_LONG", []string{"name"}, ""},
		{"update name too long", updatePaymentSourceQ, map[string]any{"id": id, "in": map[string]any{"name": strings.Repeat("n", 256)}}, "TOO_LONG", []string{"name"}, id},
		{"update unknown id", updatePaymentSourceQ, map[string]any{"id": "cps_" + absentULID, "in": map[string]any{"name": "x"}}, "NOT_FOUND", []string{"id"}, ""},
		{"delete unknown id", deletePaymentSourceQ, map[string]any{"id": "cps_" + absentULID}, "NOT_FOUND", nil, ""},
	})

	t.Run("delete", func(t *testing.T) {
		r := e.MustDo(t, deletePaymentSourceQ, map[string]any{"id": id})
		require.Equal(t, id, r.Str("deleteCustomerPaymentSource.deletedID"))
		require.Contains(t, eventNames(t, e, id), "customer_payment_sources.destroy")
	})
}

const (
	createSubscriptionQ = `mutation($in: CreateCustomerSubscriptionInput!) { createCustomerSubscription(input: $in) { customerSubscription { id reference customerEmail customer { id } } userErrors { code field } } }`
	updateSubscriptionQ = `mutation($id: ID!, $in: UpdateCustomerSubscriptionInput!) { updateCustomerSubscription(id: $id, input: $in) { customerSubscription { id reference referenceOrigin } userErrors { code field } } }`
	deleteSubscriptionQ = `mutation($id: ID!) { deleteCustomerSubscription(id: $id) { deletedID userErrors { code field } } }`
)

func TestCustomerSubscriptionMutations(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	cus := mustCustomer(t, e, "news@example.com")
	cus2 := mustCustomer(t, e, "news2@example.com")
	r := e.MustDo(t, createSubscriptionQ, map[string]any{"in": map[string]any{"customerID": cus, "reference": "newsletter"}})
	id := r.Str("createCustomerSubscription.customerSubscription.id")
	require.Regexp(t, `^csb_`, id)
	require.Equal(t, "news@example.com", r.Str("createCustomerSubscription.customerSubscription.customerEmail"))
	require.Equal(t, cus, r.Str("createCustomerSubscription.customerSubscription.customer.id"))
	require.Contains(t, eventNames(t, e, id), "customer_subscriptions.create")
	offers := mustCreate(t, e, "CustomerSubscription", map[string]any{"customerID": cus, "reference": "offers"})
	// The same topic for another customer is fine.
	mustCreate(t, e, "CustomerSubscription", map[string]any{"customerID": cus2, "reference": "newsletter"})

	r = e.MustDo(t, updateSubscriptionQ, map[string]any{"id": id, "in": map[string]any{"referenceOrigin": "mailchimp"}})
	require.Equal(t, "mailchimp", r.Str("updateCustomerSubscription.customerSubscription.referenceOrigin"))
	require.Equal(t, "newsletter", r.Str("updateCustomerSubscription.customerSubscription.reference"))

	requireRefusals(t, e, []refusal{
		{"duplicate reference for the customer", createSubscriptionQ, map[string]any{"in": map[string]any{"customerID": cus, "reference": "newsletter"}}, "TAKEN", []string{"reference"}, ""},
		{"empty reference", createSubscriptionQ, map[string]any{"in": map[string]any{"customerID": cus, "reference": ""}}, "INVALID", []string{"reference"}, ""},
		{"unknown customer", createSubscriptionQ, map[string]any{"in": map[string]any{"customerID": "cus_" + absentULID, "reference": "x"}}, "NOT_FOUND", []string{"customerID"}, ""},
		{"update to a taken reference", updateSubscriptionQ, map[string]any{"id": offers, "in": map[string]any{"reference": "newsletter", "referenceOrigin": "x"}}, "TAKEN", []string{"reference"}, offers},
		{"update unknown id", updateSubscriptionQ, map[string]any{"id": "csb_" + absentULID, "in": map[string]any{"referenceOrigin": "x"}}, "NOT_FOUND", []string{"id"}, ""},
		{"delete unknown id", deleteSubscriptionQ, map[string]any{"id": "csb_" + absentULID}, "NOT_FOUND", nil, ""},
	})

	t.Run("delete", func(t *testing.T) {
		r := e.MustDo(t, deleteSubscriptionQ, map[string]any{"id": id})
		require.Equal(t, id, r.Str("deleteCustomerSubscription.deletedID"))
		require.Contains(t, eventNames(t, e, id), "customer_subscriptions.destroy")
		// The topic is free again.
		mustCreate(t, e, "CustomerSubscription", map[string]any{"customerID": cus, "reference": "newsletter"})
	})
}

const (
	createAttachmentQ = `mutation($in: CreateAttachmentInput!) { createAttachment(input: $in) { attachment { id name url attachable { __typename id } } userErrors { code field } } }`
	updateAttachmentQ = `mutation($id: ID!, $in: UpdateAttachmentInput!) { updateAttachment(id: $id, input: $in) { attachment { id name description url } userErrors { code field } } }`
	deleteAttachmentQ = `mutation($id: ID!) { deleteAttachment(id: $id) { deletedID userErrors { code field } } }`
)

func TestAttachmentMutations(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	cus := mustCustomer(t, e, "files@example.com")
	grp := mustCreate(t, e, "CustomerGroup", map[string]any{"name": "G"})
	ord := mustDraftOrder(t, e, cus)
	var id string
	for _, parent := range []struct{ key, id string }{{"customerID", cus}, {"customerGroupID", grp}, {"orderID", ord}} {
		r := e.MustDo(t, createAttachmentQ, map[string]any{"in": map[string]any{"name": "doc", "url": "https://files.example.com/doc.pdf", parent.key: parent.id}})
		require.Regexp(t, `^att_`, r.Str("createAttachment.attachment.id"))
		require.Equal(t, parent.id, r.Str("createAttachment.attachment.attachable.id"), parent.key)
		require.Equal(t, gqlTypeOf(parent.id), r.Str("createAttachment.attachment.attachable.__typename"))
		if id == "" {
			id = r.Str("createAttachment.attachment.id")
		}
	}
	require.Contains(t, eventNames(t, e, id), "attachments.create")

	r := e.MustDo(t, updateAttachmentQ, map[string]any{"id": id, "in": map[string]any{"description": "signed", "url": "http://files.example.com/v2.pdf"}})
	require.Equal(t, "signed", r.Str("updateAttachment.attachment.description"))
	require.Equal(t, "http://files.example.com/v2.pdf", r.Str("updateAttachment.attachment.url"))
	require.Equal(t, "doc", r.Str("updateAttachment.attachment.name"))

	requireRefusals(t, e, []refusal{
		{"no parent", createAttachmentQ, map[string]any{"in": map[string]any{"name": "orphan"}}, "INVALID", nil, ""},
		{"two parents", createAttachmentQ, map[string]any{"in": map[string]any{"name": "twins", "customerID": cus, "orderID": ord}}, "INVALID", nil, ""},
		{"three parents", createAttachmentQ, map[string]any{"in": map[string]any{"name": "many", "customerID": cus, "orderID": ord, "customerGroupID": grp}}, "INVALID", nil, ""},
		{"bad URL scheme", createAttachmentQ, map[string]any{"in": map[string]any{"name": "x", "url": "ftp://files.example.com/a", "customerID": cus}}, "INVALID", []string{"url"}, ""},
		{"not a URL", createAttachmentQ, map[string]any{"in": map[string]any{"name": "x", "url": "not a url", "customerID": cus}}, "INVALID", []string{"url"}, ""},
		{"javascript URL", createAttachmentQ, map[string]any{"in": map[string]any{"name": "x", "url": "javascript:alert(1)", "customerID": cus}}, "INVALID", []string{"url"}, ""},
		{"empty name", createAttachmentQ, map[string]any{"in": map[string]any{"name": "", "customerID": cus}}, "INVALID", []string{"name"}, ""},
		{"unknown customer", createAttachmentQ, map[string]any{"in": map[string]any{"name": "x", "customerID": "cus_" + absentULID}}, "NOT_FOUND", []string{"customerID"}, ""},
		{"update bad URL", updateAttachmentQ, map[string]any{"id": id, "in": map[string]any{"url": "mailto:a@example.com", "description": "changed"}}, "INVALID", []string{"url"}, id},
		{"update unknown id", updateAttachmentQ, map[string]any{"id": "att_" + absentULID, "in": map[string]any{"name": "x"}}, "NOT_FOUND", []string{"id"}, ""},
		{"delete unknown id", deleteAttachmentQ, map[string]any{"id": "att_" + absentULID}, "NOT_FOUND", nil, ""},
	})

	t.Run("delete", func(t *testing.T) {
		r := e.MustDo(t, deleteAttachmentQ, map[string]any{"id": id})
		require.Equal(t, id, r.Str("deleteAttachment.deletedID"))
		require.Contains(t, eventNames(t, e, id), "attachments.destroy")
	})
}

const createOrderQ = `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id number status paymentStatus fulfillmentStatus
	currencyCode customerEmail totalAmountCents formattedTotalAmount customer { id } } userErrors { code field } } }`

func TestCreateOrderMutation(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	cus := mustCustomer(t, e, "Buyer@Example.com")
	r := e.MustDo(t, createOrderQ, map[string]any{"in": map[string]any{"customerID": cus, "currencyCode": "EUR", "totalAmountCents": 1250}})
	id := r.Str("createOrder.order.id")
	require.Regexp(t, `^ord_`, id)
	require.NotEmpty(t, r.Str("createOrder.order.number"))
	require.Equal(t, "DRAFT", r.Str("createOrder.order.status"))
	require.Equal(t, "buyer@example.com", r.Str("createOrder.order.customerEmail"))
	require.Equal(t, cus, r.Str("createOrder.order.customer.id"))
	require.Equal(t, 1250, r.Int("createOrder.order.totalAmountCents"))
	require.Equal(t, "€12.50", r.Str("createOrder.order.formattedTotalAmount"))
	require.Contains(t, eventNames(t, e, id), "orders.create")
	r = e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Customer { status totalOrdersCount orders { totalCount } } } }`, map[string]any{"id": cus})
	require.Equal(t, "PROSPECT", r.Str("node.status"), "a draft order does not count")
	require.Equal(t, 0, r.Int("node.totalOrdersCount"))
	require.Equal(t, 1, r.Int("node.orders.totalCount"))

	requireRefusals(t, e, []refusal{
		{"unknown customer", createOrderQ, map[string]any{"in": map[string]any{"customerID": "cus_" + absentULID, "currencyCode": "EUR"}}, "NOT_FOUND", []string{"customerID"}, ""},
		{"customer id of another type", createOrderQ, map[string]any{"in": map[string]any{"customerID": id, "currencyCode": "EUR"}}, "NOT_FOUND", []string{"customerID"}, ""},
		{"bad currency", createOrderQ, map[string]any{"in": map[string]any{"customerID": cus, "currencyCode": "euro"}}, "INVALID", []string{"currencyCode"}, ""},
	})
}

// ---------------------------------------------------------------------------
// 6. Concurrent duplicate creates.
// ---------------------------------------------------------------------------

type rawResult struct {
	status int
	body   string
}

func TestConcurrentDuplicateCreates(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	emails := []string{"race@example.com", "RACE@example.com", " race@example.com", "race@EXAMPLE.com ",
		"Race@Example.Com", "\trace@example.com", "RACE@EXAMPLE.COM", "race@example.COM"}
	start := make(chan struct{})
	results := make([]rawResult, len(emails))
	var wg sync.WaitGroup
	for i, email := range emails {
		body, err := json.Marshal(map[string]any{"query": createCustomerQ, "variables": map[string]any{"in": map[string]any{"email": email}}})
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			e.Handler.ServeHTTP(rec, req)
			results[i] = rawResult{rec.Code, rec.Body.String()}
		}()
	}
	close(start)
	wg.Wait()

	successes, taken := 0, 0
	for i, res := range results {
		require.Less(t, res.status, 500, "request %d: %s", i, res.body)
		var r testenv.Response
		require.NoError(t, json.Unmarshal([]byte(res.body), &r), res.body)
		require.Empty(t, r.Errors, "request %d got top-level errors: %s", i, res.body)
		ues := payloadErrors(t, &r, "createCustomer")
		switch {
		case len(ues) == 0:
			successes++
			require.Equal(t, "race@example.com", r.Str("createCustomer.customer.email"))
		default:
			require.Len(t, ues, 1, res.body)
			require.Equal(t, "TAKEN", ues[0].Code, res.body)
			require.Equal(t, []string{"email"}, ues[0].Field, res.body)
			require.Nil(t, r.Get("createCustomer.customer"))
			taken++
		}
	}
	require.Equal(t, 1, successes)
	require.Equal(t, len(emails)-1, taken)
	r := e.MustDo(t, `{ customers { totalCount } events(where: {name: "customers.create"}) { totalCount } }`, nil)
	require.Equal(t, 1, r.Int("customers.totalCount"))
	require.Equal(t, 1, r.Int("events.totalCount"), "refused creates left events behind")
}

// TestMutationPayloadNestedFields reads several resolved fields of each
// payload (they resolve concurrently) inside the mutation's transaction: on
// Postgres a transaction is one connection, which must not be used by two
// resolvers at once ("conn busy").
func TestMutationPayloadNestedFields(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	cus := mustCustomer(t, e, "nested@example.com")
	addr := mustCreate(t, e, "Address", addressInput(nil))
	for _, tc := range []struct {
		name      string
		decl      string
		field     func(i int) string
		selection string
	}{
		{"subscriptions", "$c: ID!", func(i int) string {
			return fmt.Sprintf(`createCustomerSubscription(input: {customerID: $c, reference: "topic-%d"})`, i)
		}, "customerSubscription { id customerEmail customer { id email } events { totalCount } links { self } }"},
		{"address book", "$c: ID!, $a: ID!", func(int) string { return `createCustomerAddress(input: {customerID: $c, addressID: $a})` },
			"customerAddress { id name customerEmail customer { id email } address { id fullName } events { totalCount } }"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("mutation(" + tc.decl + ") {")
			for i := range 25 {
				fmt.Fprintf(&b, " m%d: %s { %s userErrors { code field } }", i, tc.field(i), tc.selection)
			}
			b.WriteString(" }")
			r := e.Do(t, b.String(), map[string]any{"c": cus, "a": addr})
			require.Empty(t, r.Errors, r.Raw)
			for i := range 25 {
				m, ok := r.Get(fmt.Sprintf("m%d", i)).(map[string]any)
				require.True(t, ok, r.Raw)
				require.Equal(t, []any{}, m["userErrors"])
				for k, v := range m {
					if k != "userErrors" {
						require.NotNil(t, v, "m%d.%s", i, k)
						require.Equal(t, "nested@example.com", v.(map[string]any)["customerEmail"])
					}
				}
			}
		})
	}
	r := e.MustDo(t, `{ customerSubscriptions { totalCount } customerAddresses { totalCount } }`, nil)
	require.Equal(t, 25, r.Int("customerSubscriptions.totalCount"))
	require.Equal(t, 25, r.Int("customerAddresses.totalCount"))
}
