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

// CustomerPasswordReset holds the schema definition for the
// CustomerPasswordReset entity: one run of the password reset flow.
type CustomerPasswordReset struct {
	ent.Schema
}

// Mixin of the CustomerPasswordReset.
func (CustomerPasswordReset) Mixin() []ent.Mixin {
	return []ent.Mixin{resourceMixin{name: resource.CustomerPasswordResets}, referenceMixin{}}
}

// Fields of the CustomerPasswordReset.
func (CustomerPasswordReset) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id").Immutable().
			Comment("The ID of the customer whose password is reset."),
		field.String("customer_email").Immutable().
			Comment("The email of the customer whose password is reset."),
		field.String("token_hash").
			Sensitive().
			Optional().
			Nillable().
			Comment("SHA-256 of the single-use reset token; cleared once used.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("expires_at").Immutable().
			Comment("When the reset token stops being accepted."),
		field.Time("reset_password_at").Optional().Nillable().
			Comment("When the password was reset with this token."),
	}
}

// Edges of the CustomerPasswordReset.
func (CustomerPasswordReset) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).
			Ref("customer_password_resets").
			Field("customer_id").
			Unique().
			Required().
			Immutable().
			Comment("The customer whose password is reset."),
	}
}

// Indexes of the CustomerPasswordReset.
func (CustomerPasswordReset) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id"),
	}
}

// Annotations of the CustomerPasswordReset.
func (CustomerPasswordReset) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField().Description("Password resets of the caller's mode."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		schema.Comment("A customer password reset: created from an email, completed once with its single-use token."),
	}
}
