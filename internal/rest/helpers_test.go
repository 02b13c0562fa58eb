package rest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"clientele/internal/rest"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

const base = "https://clientele.test"

// api drives the REST endpoint as the server mounts it: behind the HTTP
// layer (testenv's e.REST), which puts the caller (e.As) and the clock
// (e.Now) in the request context and applies Idempotency-Key.
type api struct {
	t testing.TB
	e *testenv.Env
	h http.Handler
}

func newAPI(t testing.TB) (*testenv.Env, *api) {
	t.Helper()
	e := testenv.New(t)
	return e, &api{t: t, e: e, h: e.REST}
}

// resp is a decoded response.
type resp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// Get follows a dotted path (numbers index lists) into the body.
func (r *resp) Get(path string) any {
	var cur any = r.Body
	for _, p := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func (r *resp) Str(path string) string {
	s, _ := r.Get(path).(string)
	return s
}

func (r *resp) Int(path string) int {
	f, ok := r.Get(path).(float64)
	if !ok {
		return -1
	}
	return int(f)
}

func (r *resp) Len(path string) int {
	l, ok := r.Get(path).([]any)
	if !ok {
		return -1
	}
	return len(l)
}

// code returns the code of the first error, or "".
func (r *resp) code() string { return r.Str("errors.0.code") }

// do sends a request; a non-nil body is sent as JSON:API.
func (a *api) do(method, path string, body any) *resp {
	a.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(a.t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", rest.MediaType)
	}
	return a.send(req)
}

func (a *api) send(req *http.Request) *resp {
	a.t.Helper()
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	res := &resp{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.String()}
	if rec.Body.Len() > 0 {
		require.NoError(a.t, json.Unmarshal(rec.Body.Bytes(), &res.Body), "not JSON (%d): %s", rec.Code, rec.Body.String())
		require.Equal(a.t, rest.MediaType, rec.Header().Get("Content-Type"))
	}
	return res
}

func (a *api) get(path string) *resp { a.t.Helper(); return a.do(http.MethodGet, path, nil) }

// must sends a request that must answer want.
func (a *api) must(want int, method, path string, body any) *resp {
	a.t.Helper()
	r := a.do(method, path, body)
	require.Equal(a.t, want, r.Status, "%s %s: %s", method, path, r.Raw)
	return r
}

// doc builds a request document.
func doc(typ, id string, attrs map[string]any, rels map[string]any) map[string]any {
	d := map[string]any{"type": typ}
	if id != "" {
		d["id"] = id
	}
	if attrs != nil {
		d["attributes"] = attrs
	}
	if rels != nil {
		r := map[string]any{}
		for k, v := range rels {
			if v == nil {
				r[k] = map[string]any{"data": nil}
				continue
			}
			ident := v.([2]string)
			r[k] = map[string]any{"data": map[string]any{"type": ident[0], "id": ident[1]}}
		}
		d["relationships"] = r
	}
	return map[string]any{"data": d}
}

func ref(typ, id string) [2]string { return [2]string{typ, id} }

// create creates a record and returns its ID.
func (a *api) create(typ string, attrs map[string]any, rels map[string]any) string {
	a.t.Helper()
	r := a.must(http.StatusCreated, http.MethodPost, "/api/"+typ, doc(typ, "", attrs, rels))
	return r.Str("data.id")
}

// customerWithOrder creates a customer and a pending order of it.
func (a *api) customerWithOrder(email string) (cid, oid string) {
	a.t.Helper()
	cid = a.create("customers", map[string]any{"email": email}, nil)
	oid = a.create("orders", map[string]any{"currency_code": "EUR", "total_amount_cents": 1000}, map[string]any{"customer": ref("customers", cid)})
	return cid, oid
}

func asCustomer(id string) *viewer.Viewer {
	return &viewer.Viewer{Mode: viewer.Test, Kind: viewer.Customer, CustomerID: id}
}

var (
	admin    = &viewer.Viewer{Mode: viewer.Test, Kind: viewer.Integration, Role: viewer.Admin}
	readOnly = &viewer.Viewer{Mode: viewer.Test, Kind: viewer.Integration, Role: viewer.ReadOnly}
	liveAdm  = &viewer.Viewer{Mode: viewer.Live, Kind: viewer.Integration, Role: viewer.Admin}
	shop     = &viewer.Viewer{Mode: viewer.Test, Kind: viewer.SalesChannel}
)
