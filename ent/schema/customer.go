package schema

import (
	"clientele/internal/resource"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Customer holds the schema definition for the Customer entity: a shopper
// of the store, identified by email within a mode.
type Customer struct {
	ent.Schema
}

// Mixin of the Customer.
func (Customer) Mixin() []ent.Mixin {
	return []ent.Mixin{resourceMixin{name: resource.Customers}, referenceMixin{}}
}

// Fields of the Customer.
func (Customer) Fields() []ent.Field {
	return []ent.Field{
		maxLen(field.String("email").NotEmpty(), 254).
			Validate(validateEmail).
			Comment("The customer's email address: trimmed, lower-cased and unique within the mode.").
			Annotations(entgql.OrderField("EMAIL")),
		field.String("password").
			StorageKey("password_digest").
			Optional().
			Nillable().
			Sensitive().
			Comment("The customer's password, 8 to 256 characters. Write-only: it is stored as an argon2id hash and never returned. An existing password is replaced or cleared only through the password reset flow or by an integration admin; any change ends the customer's earlier sessions (tokens).").
			Annotations(entgql.Skip(entgql.SkipType, entgql.SkipWhereInput, entgql.SkipOrderField)),
		field.Enum("status").
			Values("PROSPECT", "ACQUIRED", "REPEAT").
			Default("PROSPECT").
			Comment("The customer's status, computed by the server from its placed orders: PROSPECT with none, ACQUIRED with one, REPEAT with two or more. It never moves back.").
			Annotations(entgql.OrderField("STATUS"), noInput),
		field.Int("total_orders_count").
			NonNegative().
			Default(0).
			Comment("The number of orders the customer has placed (placed, approved, or cancelled after placement).").
			Annotations(entgql.OrderField("TOTAL_ORDERS_COUNT"), noInput),
		field.Int64("session_epoch").
			NonNegative().
			Default(0).
			Comment("The customer's session generation: incremented, in the same transaction, whenever the password is set, changed, reset or cleared. Customer tokens carry the value they were issued with and stop working once it moves on. Internal: never exposed or settable over GraphQL.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Customer.
func (Customer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer_group", CustomerGroup.Type).
			Ref("customers").
			Unique().
			Comment("The group the customer belongs to, if any."),
		edge.To("customer_addresses", CustomerAddress.Type).
			Comment("The customer's address book.").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("customer_payment_sources", CustomerPaymentSource.Type).
			Comment("The customer's saved payment sources (wallet).").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("customer_subscriptions", CustomerSubscription.Type).
			Comment("The customer's newsletter and marketing subscriptions.").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("orders", Order.Type).
			Comment("The customer's orders, pending or placed.").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("order_subscriptions", OrderSubscription.Type).
			Comment("The customer's recurring order subscriptions.").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("returns", OrderReturn.Type).
			Comment("The customer's returns.").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("attachments", Attachment.Type).
			Comment("The files attached to the customer.").
			Annotations(entgql.RelayConnection(), noInput),
		edge.To("events", Event.Type).
			Comment("The events of the customer and of everything it owns (addresses, orders, returns…), oldest first by default.").
			Annotations(entgql.RelayConnection(), noInput, entsql.OnDelete(entsql.SetNull)),
		edge.To("customer_password_resets", CustomerPasswordReset.Type).
			Comment("The customer's password resets.").
			Annotations(entgql.RelayConnection(), noInput),
	}
}

// Indexes of the Customer.
func (Customer) Indexes() []ent.Index {
	return []ent.Index{
		index.Edges("customer_group"),
		// Emails are stored lower-cased, so this index makes them unique
		// case-insensitively; the database decides, not a pre-check.
		index.Fields("mode", "email").Unique(),
		index.Fields("mode", "status"),
		index.Fields("mode", "reference"),
	}
}

// Annotations of the Customer.
func (Customer) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField().Description("Customers of the caller's mode."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		schema.Comment("A customer of the store: a shopper identified by email within a mode, with an address book, a wallet, subscriptions, orders and returns."),
	}
}
