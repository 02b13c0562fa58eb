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

// Attachment holds the schema definition for the Attachment entity: a link
// to an external document attached to exactly one customer, customer group,
// order or return.
type Attachment struct {
	ent.Schema
}

// Mixin of the Attachment.
func (Attachment) Mixin() []ent.Mixin {
	return []ent.Mixin{resourceMixin{name: resource.Attachments}, referenceMixin{}}
}

// Fields of the Attachment.
func (Attachment) Fields() []ent.Field {
	return []ent.Field{
		maxLen(field.String("name").NotEmpty(), 255).
			Comment("The attachment's name.").
			Annotations(entgql.OrderField("NAME")),
		maxLen(field.String("description").Optional().Nillable(), 4096).
			Comment("A description of the attachment."),
		maxLen(field.String("url").Optional().Nillable(), 2048).
			Validate(validateURL).
			Comment("The absolute http(s) URL of the attached document."),
		field.String("customer_id").Optional().Nillable().Immutable().
			Comment("The ID of the attached-to customer, if that is the parent."),
		field.String("customer_group_id").Optional().Nillable().Immutable().
			Comment("The ID of the attached-to customer group, if that is the parent."),
		field.String("order_id").Optional().Nillable().Immutable().
			Comment("The ID of the attached-to order, if that is the parent."),
		field.String("return_id").Optional().Nillable().Immutable().
			Comment("The ID of the attached-to return, if that is the parent."),
	}
}

// Edges of the Attachment.
func (Attachment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("attachments").Field("customer_id").Unique().Immutable().
			Comment("The customer the file is attached to, if that is the parent."),
		edge.From("customer_group", CustomerGroup.Type).Ref("attachments").Field("customer_group_id").Unique().Immutable().
			Comment("The customer group the file is attached to, if that is the parent."),
		edge.From("order", Order.Type).Ref("attachments").Field("order_id").Unique().Immutable().
			Comment("The order the file is attached to, if that is the parent."),
		edge.From("return", OrderReturn.Type).Ref("attachments").Field("return_id").Unique().Immutable().
			Comment("The return the file is attached to, if that is the parent."),
	}
}

// Indexes of the Attachment.
func (Attachment) Indexes() []ent.Index {
	return []ent.Index{
		// One parent column is set, the other three are NULL. Partial
		// indexes keep the NULLs out of the planner's statistics: with
		// them, SQLite took each index for one value matching every row
		// and read all of the mode's attachments through (mode,
		// created_at) instead (graph/explain_test.go).
		index.Fields("customer_id").Annotations(entsql.IndexWhere("customer_id IS NOT NULL")),
		index.Fields("customer_group_id").Annotations(entsql.IndexWhere("customer_group_id IS NOT NULL")),
		index.Fields("order_id").Annotations(entsql.IndexWhere("order_id IS NOT NULL")),
		index.Fields("return_id").Annotations(entsql.IndexWhere("return_id IS NOT NULL")),
	}
}

// Annotations of the Attachment.
func (Attachment) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField().Description("Attachments of the caller's mode."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		schema.Comment("A link to an external document attached to a customer, customer group, order or return."),
	}
}
