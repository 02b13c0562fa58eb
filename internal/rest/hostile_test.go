package rest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"clientele/ent"
	"clientele/internal/rest"

	"github.com/stretchr/testify/require"
)

// Queries a careless or hostile client sends are refused as malformed, not
// answered with the wrong page, with a filter dropped, or with a 500.
func TestHostileQueryStrings(t *testing.T) {
	t.Parallel()
	_, a := newAPI(t)
	a.customerWithOrder("ann@example.com")
	a.customerWithOrder("bob@example.com")

	for q, code := range map[string]string{
		// (n-1)*size overflows: the first page came back for a page far
		// beyond the last (and a negative OFFSET on PostgreSQL).
		"page[number]=368934881474191034&page[size]=25": "INVALID_PAGE_VALUE",
		"page[number]=9223372036854775807":              "INVALID_PAGE_VALUE",
		// A repeated parameter silently kept only its last value.
		"page[size]=30&page[size]=1": "BAD_USER_INPUT",
		"filter[q][email_eq]=ann@example.com&filter[q][email_eq]=bob@example.com": "BAD_USER_INPUT",
		"sort=email&sort=-email": "BAD_USER_INPUT",
		// Trailing data after the JSON object was ignored.
		`filter[q][metadata_jcont]={"a":1}{"b":2}`: "INVALID_FILTER_VALUE",
		`filter[q][metadata_jcont]={"a":1}}`:       "INVALID_FILTER_VALUE",
		// Cyclic or deep include paths.
		"include=orders.customer.orders.customer": "INVALID_INCLUDE",
	} {
		r := a.get("/api/customers?" + strings.NewReplacer("{", "%7B", "}", "%7D", `"`, "%22").Replace(q))
		require.Equal(t, 400, r.Status, "%s: %s", q, r.Raw)
		require.Equal(t, code, r.code(), q)
	}
	r := a.must(200, "GET", "/api/customers?page[number]=85899345&page[size]=25", nil)
	require.Equal(t, 0, r.Len("data"))
	a.must(200, "GET", "/api/customers?include=orders.customer.orders", nil)

	// _jcont is for metadata (docs/rest.md); the event log's payload is not
	// a filter of GraphQL's either.
	r = a.get("/api/events?filter[q][payload_jcont]=%7B%22email%22:%22ann@example.com%22%7D")
	require.Equal(t, 400, r.Status, r.Raw)
	require.Equal(t, "FILTER_NOT_ALLOWED", r.code())
}

// An include of a to-many relationship is included whole: one request
// must not pull a whole table (a group of every customer, their events).
func TestIncludeIsBounded(t *testing.T) {
	t.Parallel()
	e, a := newAPI(t)
	group := a.create("customer_groups", map[string]any{"name": "Everyone"}, nil)
	ctx := e.Context()
	builders := make([]*ent.CustomerCreate, 1001)
	for i := range builders {
		builders[i] = e.Ent().Customer.Create().SetEmail("c" + strings.Repeat("x", i%7) + "-" + itoa(i) + "@example.com").SetCustomerGroupID(group)
	}
	require.NoError(t, e.Ent().Customer.CreateBulk(builders...).Exec(ctx))

	r := a.get("/api/customer_groups/" + group + "?include=customers")
	require.Equal(t, 400, r.Status, r.Raw)
	require.Equal(t, "INVALID_INCLUDE", r.code())
	require.Equal(t, "include", r.Str("errors.0.source.parameter"))
	r = a.get("/api/customer_groups?include=customers.events")
	require.Equal(t, 400, r.Status, r.Raw)
	require.Equal(t, "INVALID_INCLUDE", r.code())
	// The relationship itself pages.
	r = a.must(200, "GET", "/api/customer_groups/"+group+"/customers?page[size]=25", nil)
	require.Equal(t, 1001, r.Int("meta.record_count"))
	// A page of members with their group stays well within the bound.
	r = a.must(200, "GET", "/api/customers?include=customer_group&page[size]=25", nil)
	require.Equal(t, 1, r.Len("included"))
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// HEAD is GET without a body (RFC 9110 §9.3.2): every GET route answers it.
func TestHead(t *testing.T) {
	t.Parallel()
	_, a := newAPI(t)
	cid, _ := a.customerWithOrder("ann@example.com")
	for _, p := range []string{"/api/customers", "/api/customers/" + cid, "/api/customers/" + cid + "/orders", "/api/customers/" + cid + "/relationships/orders"} {
		req := httptest.NewRequest(http.MethodHead, p, nil)
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, req)
		require.Equal(t, 200, rec.Code, "%s: %s", p, rec.Body.String())
	}
	r := a.must(405, "PUT", "/api/events", nil)
	require.Equal(t, "GET, HEAD", r.Header.Get("Allow"))
}

// If-Match compares the ETag as the server wrote it ("3"): "+3", "03" and
// a header given twice are not that tag.
func TestIfMatchIsStrict(t *testing.T) {
	t.Parallel()
	_, a := newAPI(t)
	cid, _ := a.customerWithOrder("ann@example.com")
	send := func(tags ...string) *resp {
		req := httptest.NewRequest("PATCH", "/api/customers/"+cid, strings.NewReader(mustJSON(t, doc("customers", cid, map[string]any{"reference": "R"}, nil))))
		req.Header.Set("Content-Type", rest.MediaType)
		for _, tag := range tags {
			req.Header.Add("If-Match", tag)
		}
		return a.send(req)
	}
	for _, tags := range [][]string{{`"+1"`}, {`"01"`}, {`" 1"`}, {`"1"`, `"2"`}, {`"1", "2"`}} {
		r := send(tags...)
		require.Equal(t, 400, r.Status, "%q: %s", tags, r.Raw)
		require.Equal(t, "BAD_USER_INPUT", r.code())
		require.Equal(t, "If-Match", r.Str("errors.0.source.header"))
	}
	require.Equal(t, 200, send(`"1"`).Status)
}

// Malformed bodies are described in JSON's terms, not Go's.
func TestMalformedBodiesDoNotLeakGoTypes(t *testing.T) {
	t.Parallel()
	_, a := newAPI(t)
	cid, _ := a.customerWithOrder("ann@example.com")
	for _, body := range []string{
		`[1]`,
		`{"data":[{"type":"customers"}]}`,
		`{"data":{"type":"customers","id":"` + cid + `","attributes":[]}}`,
		`{"data":{"type":"customers","id":"` + cid + `","attributes":{"metadata":[1]}}}`,
		`{"data":{"type":"customers","id":"` + cid + `","attributes":{"metadata":{"n":1e400}}}}`,
		`{"data":{"type":"customers","id":"` + cid + `","attributes":{"reference":5}}}`,
	} {
		req := httptest.NewRequest("PATCH", "/api/customers/"+cid, strings.NewReader(body))
		req.Header.Set("Content-Type", rest.MediaType)
		r := a.send(req)
		require.Contains(t, []int{400, 422}, r.Status, body)
		for _, leak := range []string{"Go ", "struct", "interface {}", "map[", "json.RawMessage", "float64", "*string"} {
			require.NotContains(t, r.Str("errors.0.title"), leak, body)
		}
	}
}

// A body over the limit is 413 with one code, whether the HTTP layer sees
// it from Content-Length or the handler while reading a chunked body.
func TestBodyTooLargeHasOneCode(t *testing.T) {
	t.Parallel()
	_, a := newAPI(t)
	big := strings.Repeat("a", 2<<20)
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(big)
		if chunked {
			body = io.MultiReader(body) // unknown length
		}
		req := httptest.NewRequest("POST", "/api/customers", body)
		req.Header.Set("Content-Type", rest.MediaType)
		r := a.send(req)
		require.Equal(t, 413, r.Status, "chunked=%v: %s", chunked, r.Raw)
		require.Equal(t, "BAD_USER_INPUT", r.code(), "chunked=%v", chunked)
	}
}

type cutShort struct{ n int }

func (c *cutShort) Read(p []byte) (int, error) {
	if c.n == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	p[0] = '{'
	c.n--
	return 1, nil
}

// A body the client cuts short is its error (400), not an internal one.
func TestBodyCutShort(t *testing.T) {
	t.Parallel()
	_, a := newAPI(t)
	req := httptest.NewRequest("POST", "/api/customers", &cutShort{n: 3})
	req.Header.Set("Content-Type", rest.MediaType)
	r := a.send(req)
	require.Equal(t, 400, r.Status, r.Raw)
	require.Equal(t, "INVALID_DOCUMENT", r.code())
}

// Metadata nested past the bound is the caller's input problem (422 on the
// metadata attribute) and changes nothing: one deep document would break
// every metadata filter on its table.
func TestDeepMetadataIsRefused(t *testing.T) {
	t.Parallel()
	_, a := newAPI(t)
	id := a.create("customers", map[string]any{"email": "deep@example.com"}, nil)
	var md any = map[string]any{"leaf": true}
	for range 20 {
		md = map[string]any{"k": md}
	}
	r := a.must(422, "PATCH", "/api/customers/"+id, doc("customers", id, map[string]any{"metadata": md}, nil))
	require.Equal(t, "INVALID", r.code())
	require.Equal(t, "/data/attributes/metadata", r.Str("errors.0.source.pointer"))
	require.Equal(t, float64(1), a.must(200, "GET", "/api/customers/"+id, nil).Get("data.attributes.version"))
}

// A replayed create repeats what the first answer said about the record
// (ETag, Location); a retry under the same key that changed what it means
// (another If-Match, a fixed Content-Type) is another request, refused as
// such instead of answered with the first one's refusal.
func TestIdempotentRepliesKeepTheirMeaning(t *testing.T) {
	t.Parallel()
	_, a := newAPI(t)
	keyed := func(method, path, key string, body any, header map[string]string) *resp {
		req := httptest.NewRequest(method, path, strings.NewReader(mustJSON(t, body)))
		req.Header.Set("Content-Type", rest.MediaType)
		req.Header.Set("Idempotency-Key", key)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		return a.send(req)
	}
	create := doc("customers", "", map[string]any{"email": "kept@example.com"}, nil)
	first := keyed("POST", "/api/customers", "c1", create, nil)
	again := keyed("POST", "/api/customers", "c1", create, nil)
	require.Equal(t, 201, again.Status)
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	require.NotEmpty(t, first.Header.Get("ETag"))
	require.Equal(t, first.Header.Get("ETag"), again.Header.Get("ETag"))
	require.Equal(t, first.Header.Get("Location"), again.Header.Get("Location"))

	id := first.Str("data.id")
	patch := doc("customers", id, map[string]any{"reference": "r"}, nil)
	stale := keyed("PATCH", "/api/customers/"+id, "p1", patch, map[string]string{"If-Match": `"7"`})
	require.Equal(t, 409, stale.Status, stale.Raw)
	retry := keyed("PATCH", "/api/customers/"+id, "p1", patch, map[string]string{"If-Match": `"1"`})
	require.Equal(t, 422, retry.Status, retry.Raw)
	require.Equal(t, "IDEMPOTENCY_KEY_REUSED", retry.code())
	require.Empty(t, retry.Header.Get("Idempotent-Replayed"))
}
