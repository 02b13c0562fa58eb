package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// postJSON is gqlgen's POST transport (transport.POST) less two costs paid
// on every request:
//
//   - The body is decoded once. graphQLOverHTTP reads and checks it and
//     hands the parameters over in the request's context (decodeParams);
//     transport.POST decoded it a second time.
//   - The answer is written as it is. transport.POST passed it through
//     encoding/json, which re-validates and copies the data gqlgen has
//     already written as compact JSON (json.RawMessage), and escapes <, >,
//     & and U+2028/U+2029. Data with none of those is written directly;
//     data with any goes through encoding/json as before, so the bytes are
//     the same either way.
//
// Status codes and content negotiation are transport.POST's; the
// GraphQL-over-HTTP rules on top stay in graphQLOverHTTP.
type postJSON struct{}

func (postJSON) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" || r.Method != http.MethodPost {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mediaType == "application/json"
}

func (postJSON) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	start := graphql.Now()
	// graphQLOverHTTP, in front of every POST, has decoded the body.
	params, ok := ctx.Value(paramsKey{}).(*graphql.RawParams)
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("json request body could not be decoded")}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == graphQLResponseJSON {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

const graphQLResponseJSON = "application/graphql-response+json"

// responseContentType is transport.POST's choice: the first of
// application/json and application/graphql-response+json the Accept header
// names, application/json for none or a wildcard, and
// graphql-response+json for an Accept that names neither.
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return "application/json"
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", "application/json":
			return "application/json"
		case graphQLResponseJSON:
			return graphQLResponseJSON
		}
	}
	return graphQLResponseJSON
}

type paramsKey struct{}

// withParams hands the decoded parameters to postJSON.
func withParams(r *http.Request, p *graphql.RawParams) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), paramsKey{}, p))
}

var errTrailingData = errors.New("data after the request object")

// decodeParams decodes a POST body the way gqlgen does (numbers kept as
// json.Number, so that Int variables stay exact), refusing parameters of
// the wrong type and anything after the object.
func decodeParams(body []byte) (*graphql.RawParams, error) {
	var p graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errTrailingData
	}
	return &p, nil
}

// writeResponse writes resp as transport.POST would (encoding/json of
// graphql.Response), without passing data that needs no escaping through
// encoding/json.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp == nil { // no response: the client has gone
		setLength(w, len("null"))
		_, _ = io.WriteString(w, "null")
		return
	}
	if resp.Label != "" || resp.Path != nil || resp.HasNext != nil || needsEscaping(resp.Data) {
		b, err := json.Marshal(resp)
		if err != nil {
			panic(err) // as transport.POST: the executor wrote invalid JSON
		}
		setLength(w, len(b))
		_, _ = w.Write(b)
		return
	}
	var head []byte
	head = append(head, '{')
	if len(resp.Errors) > 0 {
		e, err := json.Marshal(resp.Errors)
		if err != nil {
			panic(err)
		}
		head = append(head, `"errors":`...)
		head = append(head, e...)
		head = append(head, ',')
	}
	head = append(head, `"data":`...)
	if resp.Data == nil {
		head = append(head, "null"...)
	}
	tail := []byte{'}'}
	if len(resp.Extensions) > 0 {
		e, err := json.Marshal(resp.Extensions)
		if err != nil {
			panic(err)
		}
		tail = append(append([]byte(`,"extensions":`), e...), '}')
	}
	setLength(w, len(head)+len(resp.Data)+len(tail))
	// Two writes, data and tail in one: the server's buffer takes the
	// head, and a write larger than the buffer goes out in one system call
	// after it; a tail written on its own would cost one more, and one
	// more packet, at the end of every large answer. (resp.Data is the
	// executor's own buffer, which usually has room for the tail.)
	_, _ = w.Write(head)
	_, _ = w.Write(append(resp.Data, tail...))
}

// setLength gives an answer whose header is not yet written its
// Content-Length: the answer goes out whole, not in chunks. (A header
// already written ignores it; a writer that rewrites the body drops it.)
func setLength(w io.Writer, n int) {
	if rw, ok := w.(http.ResponseWriter); ok {
		rw.Header().Set("Content-Length", strconv.Itoa(n))
	}
}

// needsEscaping reports whether encoding/json would change data: the HTML
// characters it escapes and U+2028/U+2029 (E2 80 A8/A9 in UTF-8).
func needsEscaping(data []byte) bool {
	// One IndexByte per character (vectorised) rather than IndexAny (a
	// byte at a time): this reads every answer whole.
	return bytes.IndexByte(data, '<') >= 0 || bytes.IndexByte(data, '>') >= 0 || bytes.IndexByte(data, '&') >= 0 ||
		bytes.IndexByte(data, 0xE2) >= 0 && (bytes.Contains(data, []byte("\u2028")) || bytes.Contains(data, []byte("\u2029")))
}
