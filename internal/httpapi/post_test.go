package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// writeResponse must write exactly what encoding/json writes for a
// graphql.Response (what gqlgen's POST transport wrote), whatever the data.
func TestWriteResponseIsEncodingJSON(t *testing.T) {
	yes := true
	errs := gqlerror.List{{Message: "boom <b>", Path: ast.Path{ast.PathName("a")}, Extensions: map[string]any{"code": "X"}}}
	ext := map[string]any{"z": 1, "a": "<&>"}
	for _, data := range []json.RawMessage{
		nil,
		json.RawMessage(`null`),
		json.RawMessage(`{"a":"b","n":[1,2,{"c":null}]}`),
		json.RawMessage(`{"a":"<script>&amp;</script>"}`),
		json.RawMessage("{\"a\":\"line\u2028sep\u2029\"}"),
		json.RawMessage(`{"a":"é€"}`),
	} {
		for _, resp := range []graphql.Response{
			{Data: data},
			{Data: data, Errors: errs},
			{Data: data, Extensions: ext},
			{Data: data, Errors: errs, Extensions: ext},
			{Data: data, Label: "l", Path: ast.Path{ast.PathIndex(1)}, HasNext: &yes},
		} {
			want, err := json.Marshal(&resp)
			require.NoError(t, err)
			var got countingWriter
			writeResponse(&got, &resp)
			require.Equal(t, string(want), got.String())
			// The head, then the rest in one: no write of a few bytes
			// (one more system call and packet) after a large answer.
			require.LessOrEqual(t, got.writes, 2)
		}
	}
}

type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// A dispatch that gives no response (the client has gone) is written as
// encoding/json writes a nil response, not a panic.
func TestWriteResponseOfNoResponse(t *testing.T) {
	var got countingWriter
	writeResponse(&got, nil)
	want, err := json.Marshal((*graphql.Response)(nil))
	require.NoError(t, err)
	require.Equal(t, string(want), got.String())
}

func TestDecodeParams(t *testing.T) {
	p, err := decodeParams([]byte(`{"query":"{ a }","variables":{"n":12345678901234567},"operationName":"A"}`))
	require.NoError(t, err)
	require.Equal(t, "{ a }", p.Query)
	require.Equal(t, "A", p.OperationName)
	require.Equal(t, json.Number("12345678901234567"), p.Variables["n"], "numbers stay exact")
	for _, bad := range []string{
		`{"query":1}`, `{"query":"{ a }","variables":[]}`, `{"query":"{ a }","extensions":"x"}`,
		`{"query":"{ a }","operationName":2}`, `{"query":"{ a }"} {}`, `{"query":"{ a }"}x`, `[]`, ``,
	} {
		_, err := decodeParams([]byte(bad))
		require.Error(t, err, bad)
	}
}
