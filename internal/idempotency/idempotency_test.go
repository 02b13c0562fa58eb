package idempotency_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"clientele/internal/idempotency"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

// counting is a write handler that counts its runs and answers with the
// run's number.
func counting(runs *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := runs.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"run":` + string(rune('0'+n)) + `}`))
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"code":"` + code + `"}`))
}

func send(h http.Handler, method, key, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/api/customers/cus_1", strings.NewReader(body))
	req = req.WithContext(viewer.NewContext(req.Context(), &viewer.Viewer{Mode: viewer.Test, Kind: viewer.Integration, Role: viewer.Admin, CredentialID: "cred"}))
	if key != "" {
		req.Header.Set(idempotency.Header, key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// By default only POST is keyed (GraphQL's writes): other methods pass
// through even with a key.
func TestDefaultKeysPostOnly(t *testing.T) {
	e := testenv.New(t)
	var runs atomic.Int32
	h := idempotency.Middleware(counting(&runs), idempotency.Options{Client: e.Ent(), WriteError: writeError})

	first, second := send(h, http.MethodPost, "k1", `{"a":1}`), send(h, http.MethodPost, "k1", `{"a":1}`)
	require.Equal(t, int32(1), runs.Load())
	require.Equal(t, first.Body.String(), second.Body.String())
	require.Equal(t, "true", second.Header().Get(idempotency.ReplayedHeader))

	for _, m := range []string{http.MethodPatch, http.MethodDelete, http.MethodPut} {
		runs.Store(0)
		send(h, m, "k-"+m, `{}`)
		rec := send(h, m, "k-"+m, `{}`)
		require.Equal(t, int32(2), runs.Load(), m)
		require.Empty(t, rec.Header().Get(idempotency.ReplayedHeader), m)
	}
}

// With RESTMethods, PATCH and DELETE are keyed like POST: one run per key,
// replays marked, another body with the same key refused; GET is never
// keyed.
func TestRESTMethodsAreKeyed(t *testing.T) {
	e := testenv.New(t)
	var runs atomic.Int32
	h := idempotency.Middleware(counting(&runs), idempotency.Options{Client: e.Ent(), WriteError: writeError, Methods: idempotency.RESTMethods})
	for _, m := range []string{http.MethodPost, http.MethodPatch, http.MethodDelete} {
		runs.Store(0)
		key := "key-" + m
		first := send(h, m, key, `{"data":{"type":"customers"}}`)
		again := send(h, m, key, `{"data": {"type": "customers"}}`) // same meaning
		require.Equal(t, int32(1), runs.Load(), m)
		require.Equal(t, http.StatusCreated, again.Code, m)
		require.Equal(t, first.Body.String(), again.Body.String(), m)
		require.Equal(t, "true", again.Header().Get(idempotency.ReplayedHeader), m)
		other := send(h, m, key, `{"data":{"type":"orders"}}`)
		require.Equal(t, http.StatusUnprocessableEntity, other.Code, m)
		require.Contains(t, other.Body.String(), idempotency.CodeKeyReused, m)
		require.Equal(t, int32(1), runs.Load(), m)
	}
	runs.Store(0)
	send(h, http.MethodGet, "key-get", "")
	send(h, http.MethodGet, "key-get", "")
	require.Equal(t, int32(2), runs.Load())
}
