// Package resource describes each of clientele's resource types once: its
// name (the table, which is also the plural type of the REST shape and of
// event names), its ID prefix, its state machine, which column names the
// customer who owns a record, and who may do what with it. IDs, node(id:),
// links, the ent hooks and the privacy policies all derive from this
// registry, so that every transport (GraphQL today, REST tomorrow) meets
// the same rules through the same ent client.
package resource

import (
	"fmt"

	"clientele/internal/apperr"
	"clientele/internal/ids"
	"clientele/internal/lifecycle"
	"clientele/internal/viewer"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
)

// Name names a resource type. Its value is the type's table, which is also
// its plural in links (/api/<name>/<id>) and event names (<name>.create).
type Name string

// The resource types.
const (
	Customers              Name = "customers"
	CustomerGroups         Name = "customer_groups"
	Addresses              Name = "addresses"
	CustomerAddresses      Name = "customer_addresses"
	CustomerPaymentSources Name = "customer_payment_sources"
	CustomerSubscriptions  Name = "customer_subscriptions"
	Orders                 Name = "orders"
	OrderSubscriptions     Name = "order_subscriptions"
	Returns                Name = "returns"
	Attachments            Name = "attachments"
	Events                 Name = "events"
	CustomerPasswordResets Name = "customer_password_resets"
)

// Resource describes one resource type.
type Resource struct {
	Name   Name
	Prefix ids.Prefix
	// Noun names one record in messages ("customer group").
	Noun string
	// Machine is the state machine of the type's status fields, if any.
	Machine *lifecycle.Machine
	// Owner is the column holding the ID of the customer who owns a
	// record ("id" for customers themselves); empty when records have no
	// single owner. Events about a record carry its owner.
	Owner string
	// Visible lists the ways a record is a customer's, for customer
	// tokens: any one of them makes it visible and changeable (within
	// Access.CustomerOps).
	Visible []Reach
	Access  Access
	// Log marks the event log: written only by the hooks of allowed
	// changes, never changed, and recording no events of its own.
	Log bool
	// AttachedBy is the attachments column that names a record of this
	// type, if records of this type take attachments: a record's
	// attachments go with it when it is deleted.
	AttachedBy string
}

// Reach is one way a record belongs to a customer: its Column holds the
// customer's ID, or, with Via, the Pick column of a record of Via that the
// customer owns.
type Reach struct {
	Column string
	Via    Name
	Pick   string
}

// Access says what callers other than integration admins may do with a
// type's records (integration admins may do everything in their mode,
// read-only integrations read everything; see Admit).
type Access struct {
	// StorefrontCreates lets an anonymous sales channel create records.
	StorefrontCreates bool
	// StorefrontRefs lets an anonymous sales channel point a new record at
	// a record of this type it cannot read (a newsletter subscription or
	// a password reset names its customer).
	StorefrontRefs bool
	// CustomerOps are the operations a customer token may run on the
	// records it owns (creates: records it will own).
	CustomerOps ent.Op
	// CustomerMoves lists, per status field, the values a customer token
	// may move it to; other status fields may not be set at all. Nil: no
	// status moves beyond what CustomerOps allows.
	CustomerMoves map[string][]string
	// CustomerStamp is the column a customer token's create sets to the
	// customer; input naming another customer there answers NOT_FOUND.
	CustomerStamp string
}

const (
	ownedByCustomer = "customer_id"
	self            = "id"
)

// registry holds every resource type, keyed by name.
var registry = map[Name]*Resource{
	Customers: {
		Name: Customers, Prefix: ids.Customer, Noun: "customer",
		Machine: lifecycle.Customers,
		Owner:   self, Visible: []Reach{{Column: self}},
		Access:     Access{StorefrontCreates: true, StorefrontRefs: true, CustomerOps: ent.OpUpdateOne | ent.OpDeleteOne},
		AttachedBy: "customer_id",
	},
	CustomerGroups: {
		Name: CustomerGroups, Prefix: ids.CustomerGroup, Noun: "customer group",
		// A customer sees the group it belongs to.
		Visible:    []Reach{{Column: self, Via: Customers, Pick: "customer_group_customers"}},
		AttachedBy: "customer_group_id",
	},
	Addresses: {
		Name: Addresses, Prefix: ids.Address, Noun: "address",
		// A customer sees the addresses it created (before linking them)
		// and those in its address book.
		Visible: []Reach{{Column: "created_by_customer_id"}, {Column: self, Via: CustomerAddresses, Pick: "address_id"}},
		Access:  Access{CustomerOps: ent.OpCreate | ent.OpUpdateOne | ent.OpDeleteOne, CustomerStamp: "created_by_customer_id"},
	},
	CustomerAddresses: {
		Name: CustomerAddresses, Prefix: ids.CustomerAddress, Noun: "address-book entry",
		Owner: ownedByCustomer, Visible: []Reach{{Column: ownedByCustomer}},
		Access: Access{CustomerOps: ent.OpCreate | ent.OpUpdateOne | ent.OpDeleteOne | ent.OpDelete, CustomerStamp: ownedByCustomer},
	},
	CustomerPaymentSources: {
		Name: CustomerPaymentSources, Prefix: ids.CustomerPaymentSource, Noun: "payment source",
		Owner: ownedByCustomer, Visible: []Reach{{Column: ownedByCustomer}},
		Access: Access{CustomerOps: ent.OpUpdateOne | ent.OpDeleteOne | ent.OpDelete},
	},
	CustomerSubscriptions: {
		Name: CustomerSubscriptions, Prefix: ids.CustomerSubscription, Noun: "subscription",
		Owner: ownedByCustomer, Visible: []Reach{{Column: ownedByCustomer}},
		Access: Access{StorefrontCreates: true,
			CustomerOps: ent.OpCreate | ent.OpUpdateOne | ent.OpDeleteOne | ent.OpDelete, CustomerStamp: ownedByCustomer},
	},
	Orders: {
		Name: Orders, Prefix: ids.Order, Noun: "order",
		Machine: lifecycle.Orders,
		Owner:   ownedByCustomer, Visible: []Reach{{Column: ownedByCustomer}},
		// Approving, cancelling and fulfilling are the store's.
		Access: Access{CustomerOps: ent.OpCreate | ent.OpUpdateOne | ent.OpDelete, CustomerStamp: ownedByCustomer,
			CustomerMoves: map[string][]string{"status": {"PENDING", "PLACED"}}},
		AttachedBy: "order_id",
	},
	OrderSubscriptions: {
		Name: OrderSubscriptions, Prefix: ids.OrderSubscription, Noun: "order subscription",
		Machine: lifecycle.OrderSubscriptions,
		Owner:   ownedByCustomer, Visible: []Reach{{Column: ownedByCustomer}},
	},
	Returns: {
		Name: Returns, Prefix: ids.Return, Noun: "return",
		Machine: lifecycle.Returns,
		Owner:   ownedByCustomer, Visible: []Reach{{Column: ownedByCustomer}},
		Access: Access{CustomerOps: ent.OpCreate | ent.OpUpdateOne,
			CustomerMoves: map[string][]string{"status": {"REQUESTED"}}},
		AttachedBy: "return_id",
	},
	Attachments: {
		Name: Attachments, Prefix: ids.Attachment, Noun: "attachment",
		Owner: ownedByCustomer,
		// A customer sees what is attached to it, its orders and returns.
		Visible: []Reach{{Column: ownedByCustomer}, {Column: "order_id", Via: Orders, Pick: self}, {Column: "return_id", Via: Returns, Pick: self}},
		Access:  Access{CustomerOps: ent.OpDelete},
	},
	Events: {
		Name: Events, Prefix: ids.Event, Noun: "event",
		Visible: []Reach{{Column: "owner_customer_id"}},
		Log:     true,
	},
	CustomerPasswordResets: {
		Name: CustomerPasswordResets, Prefix: ids.CustomerPasswordReset, Noun: "password reset",
		Owner: ownedByCustomer, Visible: []Reach{{Column: ownedByCustomer}},
		// The email decides whose reset it is.
		Access: Access{StorefrontCreates: true, CustomerOps: ent.OpCreate | ent.OpDelete},
	},
}

// byPrefix maps each ID prefix to its resource type.
var byPrefix = func() map[ids.Prefix]*Resource {
	m := make(map[ids.Prefix]*Resource, len(registry))
	for _, r := range registry {
		if _, dup := m[r.Prefix]; dup {
			panic(fmt.Sprintf("resource: prefix %s used twice", r.Prefix))
		}
		m[r.Prefix] = r
	}
	return m
}()

// Get returns the description of a resource type.
func Get(n Name) *Resource {
	r, ok := registry[n]
	if !ok {
		panic(fmt.Sprintf("resource: unknown type %q", n))
	}
	return r
}

// ByTable returns the description of the resource type stored in table.
func ByTable(table string) (*Resource, bool) {
	r, ok := registry[Name(table)]
	return r, ok
}

// ByID returns the resource type of a well-formed ID, and false for
// malformed IDs and IDs of anything that is not a resource (credentials).
func ByID(id string) (*Resource, bool) {
	p, ok := ids.Parse(id)
	if !ok {
		return nil, false
	}
	r, ok := byPrefix[p]
	return r, ok
}

// All returns every resource type.
func All() []*Resource {
	out := make([]*Resource, 0, len(registry))
	for _, r := range registry {
		out = append(out, r)
	}
	return out
}

// Table returns the type's table.
func (r *Resource) Table() string { return string(r.Name) }

// Path returns the path of a record in the REST shape, /api/<name>/<id>:
// links.self is the public base URL followed by it.
func (r *Resource) Path(id string) string { return "/api/" + string(r.Name) + "/" + id }

// NotFound is the NOT_FOUND error for a missing (or invisible) record of
// this type named by the given input field.
func (r *Resource) NotFound(field string) *apperr.Error {
	return apperr.New(apperr.NotFound, apperr.Field(field), "no %s with this ID", r.Noun)
}

// OwnedBy restricts a query of this type's table to the records that are
// customer cid's (see Visible).
func (r *Resource) OwnedBy(cid string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		ps := make([]*sql.Predicate, 0, len(r.Visible))
		for _, v := range r.Visible {
			if v.Via == "" {
				ps = append(ps, sql.EQ(s.C(v.Column), cid))
				continue
			}
			via := Get(v.Via)
			ps = append(ps, sql.In(s.C(v.Column), sql.Select(v.Pick).From(sql.Table(via.Table())).Where(sql.EQ(via.Owner, cid))))
		}
		if len(ps) == 1 {
			s.Where(ps[0])
		} else {
			s.Where(sql.Or(ps...))
		}
	}
}

// Machines returns the state machine of each table that has one.
func Machines() map[string]*lifecycle.Machine {
	m := map[string]*lifecycle.Machine{}
	for _, r := range registry {
		if r.Machine != nil {
			m[r.Table()] = r.Machine
		}
	}
	return m
}

// Admit is the rule every request meets before any other: a caller without
// a credential may do nothing, and a read-only integration may not write.
// Transports check it before running anything; the privacy policies check
// it again for every query and write. Errors: UNAUTHENTICATED, FORBIDDEN.
func Admit(v *viewer.Viewer, write bool) error {
	if v == nil {
		return apperr.New(apperr.Unauthenticated, nil, "Authenticate with Authorization: Bearer <token> (see POST /oauth/token).")
	}
	if write && v.Kind == viewer.Integration && v.Role != viewer.Admin {
		return apperr.New(apperr.Forbidden, nil, "This credential is read-only.")
	}
	return nil
}

// ForMachine returns the resource type whose state machine m is.
func ForMachine(m *lifecycle.Machine) *Resource {
	for _, r := range registry {
		if r.Machine == m {
			return r
		}
	}
	panic("resource: a state machine of no resource type")
}
