package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// IdempotencyKey remembers a request sent with an Idempotency-Key header:
// which caller sent it, a hash of its body, and, once it has run, the
// response to replay. The primary key makes the first of concurrent
// duplicates the only one to run, across replicas. It is internal and not
// exposed over GraphQL.
type IdempotencyKey struct {
	ent.Schema
}

// Fields of the IdempotencyKey.
func (IdempotencyKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty().
			Comment("SHA-256 of the caller (credential and customer) and the key."),
		field.String("request_hash").Immutable().Comment("SHA-256 of the method, path, body and the headers that change a request's meaning (Content-Type, If-Match)."),
		field.Bool("done").Default(false).Comment("Whether the response below is complete."),
		field.Int("status").Default(0),
		field.String("content_type").Default(""),
		field.JSON("headers", map[string]string{}).Optional().
			Comment("The response headers a replay repeats besides Content-Type (ETag, Location)."),
		field.Bytes("body").Optional(),
		field.Time("created_at").Immutable(),
		field.Time("expires_at").Comment("After this the key may be used again."),
		field.Time("lease_until").Comment("A pending request whose lease ran out (its server died) may be taken over."),
	}
}

// Indexes of the IdempotencyKey.
func (IdempotencyKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expires_at")}
}

// Annotations of the IdempotencyKey.
func (IdempotencyKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
