package schema

import (
	"clientele/internal/resource"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// CustomerPaymentSource holds the schema definition for the
// CustomerPaymentSource entity: a saved card or other payment source.
type CustomerPaymentSource struct {
	ent.Schema
}

// Mixin of the CustomerPaymentSource.
func (CustomerPaymentSource) Mixin() []ent.Mixin {
	return []ent.Mixin{resourceMixin{name: resource.CustomerPaymentSources}, referenceMixin{}}
}

// Fields of the CustomerPaymentSource.
func (CustomerPaymentSource) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id").Immutable().Comment("The ID of the customer that owns the payment source."),
		maxLen(field.String("name").Optional().Nillable(), 255).
			Comment("The payment source's display name, e.g. XXXX-XXXX-XXXX-1111.").
			Annotations(entgql.OrderField("NAME")),
		maxLen(field.String("customer_token").Optional().Nillable(), 255).
			Comment("The customer's token at the payment gateway, e.g. cus_xxx."),
		maxLen(field.String("payment_source_token").Optional().Nillable(), 255).
			Comment("The payment method's token at the payment gateway, e.g. pm_xxx."),
		maxLen(field.String("payment_method_type").Optional().Nillable(), 64).
			Comment("The kind of payment source, e.g. stripe_payments."),
	}
}

// Edges of the CustomerPaymentSource.
func (CustomerPaymentSource) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).
			Ref("customer_payment_sources").
			Field("customer_id").
			Immutable().
			Unique().
			Required().
			Comment("The customer that owns the payment source."),
	}
}

// Indexes of the CustomerPaymentSource.
func (CustomerPaymentSource) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id"),
	}
}

// Annotations of the CustomerPaymentSource.
func (CustomerPaymentSource) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField().Description("Saved payment sources of the caller's mode."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		schema.Comment("A payment source saved in a customer's wallet."),
	}
}
