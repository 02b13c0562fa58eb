package graph_test

import (
	"strings"
	"testing"

	"clientele/ent/attachment"
	"clientele/ent/event"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

// TestAttachmentsGoWithTheirRecord walks the parents an attachment can
// name (the ID fields of CreateAttachmentInput): deleting a parent deletes
// its attachments, each with its attachments.destroy event after the
// parent's, and a refused delete keeps them. A new kind of parent without
// a fixture here fails the test.
func TestAttachmentsGoWithTheirRecord(t *testing.T) {
	e := lcNewEnv(t)
	parents := map[string]func(testing.TB, *testenv.Env) string{
		"customerID":      vsCustomer,
		"customerGroupID": vsGroup,
		"orderID":         vsOrder(),
		"returnID":        vsReturn(),
	}
	schema := vsSchema(t, e)
	var fields []string
	for _, f := range schema["CreateAttachmentInput"].InputFields {
		if strings.HasSuffix(f.Name, "ID") {
			fields = append(fields, f.Name)
		}
	}
	require.Len(t, fields, len(parents), "CreateAttachmentInput's parents: %v", fields)
	ctx := viewer.Elevated(t.Context())
	for _, field := range fields {
		t.Run(field, func(t *testing.T) {
			make, ok := parents[field]
			require.True(t, ok, "no fixture for attachments on %s", field)
			parent := make(t, e)
			r := e.MustDo(t, `mutation($in: CreateAttachmentInput!) { createAttachment(input: $in) { attachment { id } userErrors { code } } }`,
				map[string]any{"in": map[string]any{field: parent, "name": "a.pdf", "url": "https://example.com/a.pdf"}})
			att := r.Str("createAttachment.attachment.id")
			require.NotEmpty(t, att, r.Raw)

			typ := strings.TrimSuffix(field, "ID")
			del := "delete" + strings.ToUpper(typ[:1]) + typ[1:]
			r = e.MustDo(t, `mutation($id: ID!) { `+del+`(id: $id) { userErrors { code } } }`, map[string]any{"id": parent})
			require.Empty(t, r.Get(del+".userErrors"), r.Raw)

			n, err := e.Ent().Attachment.Query().Where(attachment.ID(att)).Count(ctx)
			require.NoError(t, err)
			require.Zero(t, n, "the attachment outlived its %s", typ)
			evs, err := e.Ent().Event.Query().Where(event.ResourceIDIn(parent, att), event.NameHasSuffix(".destroy")).
				Order(event.BySequence()).All(ctx)
			require.NoError(t, err)
			require.Len(t, evs, 2)
			require.Equal(t, parent, evs[0].ResourceID, "the parent's destroy event comes first (cause order)")
			require.Equal(t, "attachments.destroy", evs[1].Name)
		})
	}

	t.Run("refused delete keeps them", func(t *testing.T) {
		placed := vsOrder(lcToPlaced...)(t, e)
		r := e.MustDo(t, `mutation($in: CreateAttachmentInput!) { createAttachment(input: $in) { attachment { id } } }`,
			map[string]any{"in": map[string]any{"orderID": placed, "name": "a.pdf", "url": "https://example.com/a.pdf"}})
		att := r.Str("createAttachment.attachment.id")
		r = e.Do(t, `mutation($id: ID!) { deleteOrder(id: $id) { userErrors { code } } }`, map[string]any{"id": placed})
		require.Equal(t, "LOCKED", r.Str("deleteOrder.userErrors.0.code"), r.Raw)
		n, err := e.Ent().Attachment.Query().Where(attachment.ID(att)).Count(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}
