package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var r struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(body, &r), string(body))
	require.Len(t, r.Errors, 1, string(body))
	return r.Errors[0].Extensions.Code
}

// A handler that has not begun its answer by the deadline is cut off with
// TIMEOUT: the client has the whole answer while the handler still runs,
// and the handler's later writes go nowhere.
func TestTimeoutAnswersForASilentHandler(t *testing.T) {
	release := make(chan struct{})
	late := make(chan error, 1)
	srv := httptest.NewServer(timeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		<-release
		w.Header().Set("X-Late", "1")
		_, err := w.Write([]byte("late"))
		late <- err
	}), 20*time.Millisecond, WriteGraphQLError))
	defer srv.Close()
	defer close(release)
	resp, err := srv.Client().Post(srv.URL, "application/json", nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "the answer is complete before the handler returns")
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "TIMEOUT", errorCode(t, body))
	require.Empty(t, resp.Header.Get("X-Late"))
	require.True(t, resp.Close, "Connection: close: no request queues behind the running handler")
	select {
	case err := <-late:
		t.Fatalf("the handler returned before it was released: %v", err)
	default:
	}
	release <- struct{}{}
	require.ErrorIs(t, <-late, http.ErrHandlerTimeout)
}

// The same when the handler returns as the deadline passes, whichever of
// the two notices first.
func TestTimeoutAnswersForAHandlerReturningAtTheDeadline(t *testing.T) {
	for range 50 {
		h := timeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}), time.Millisecond, WriteGraphQLError)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		require.Equal(t, "TIMEOUT", errorCode(t, rec.Body.Bytes()))
	}
}

// An answer begun before the deadline is finished, not replaced, and
// carries the handler's headers and status.
func TestTimeoutLetsABegunAnswerFinish(t *testing.T) {
	h := timeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"data":`))
		<-r.Context().Done()
		_, _ = w.Write([]byte(`1}`))
	}), 20*time.Millisecond, WriteGraphQLError)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	require.Equal(t, http.StatusCreated, rec.Code)
	require.Equal(t, `{"data":1}`, rec.Body.String())
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
}

// A panic in the handler reaches the server (which logs it and drops the
// connection) instead of being swallowed by the timeout's goroutine.
func TestTimeoutPassesPanicsOn(t *testing.T) {
	h := timeout(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }), time.Second, WriteGraphQLError)
	require.PanicsWithValue(t, "boom", func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))
	})
}

// gqlgen answers request errors with 422: with Accept application/json that
// is 200 (GraphQL-over-HTTP), and the body passes through untouched; with
// application/graphql-response+json it stays 4xx and loses its data key.
func TestGraphQLOverHTTPStatuses(t *testing.T) {
	for _, tc := range []struct {
		ct, body   string
		status     int
		wantStatus int
		wantBody   string
	}{
		{"application/json", `{"errors":[{"message":"x"}],"data":null}`, 422, 200, `{"errors":[{"message":"x"}],"data":null}`},
		{"application/graphql-response+json", `{"errors":[{"message":"x"}],"data":null}`, 422, 422, `{"errors":[{"message":"x"}]}`},
		{"application/graphql-response+json", `{"data":{"a":1}}`, 200, 200, `{"data":{"a":1}}`},
		{"application/json", `{"data":{"a":1}}`, 0, 200, `{"data":{"a":1}}`},
	} {
		h := graphQLOverHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", tc.ct)
			if tc.status != 0 {
				w.WriteHeader(tc.status)
			}
			_, _ = w.Write([]byte(tc.body))
		}))
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"query":"{a}"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, tc.wantStatus, rec.Code, tc)
		require.JSONEq(t, tc.wantBody, rec.Body.String(), tc)
	}
}

// A mutation sent with GET is 405 with Allow: POST and a coded error
// (gqlgen says 406).
func TestMutationOverGETIs405(t *testing.T) {
	h := graphQLOverHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotAcceptable)
		_, _ = w.Write([]byte(`{"errors":[{"message":"GET requests only allow query operations"}],"data":null}`))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/graphql?query=mutation%7B__typename%7D", nil))
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	require.Equal(t, "POST", rec.Header().Get("Allow"))
	require.Equal(t, "BAD_USER_INPUT", errorCode(t, rec.Body.Bytes()))
}

// A bad credential is 401 with a WWW-Authenticate challenge.
func TestUnauthenticatedCarriesAChallenge(t *testing.T) {
	h := (&Options{Authenticate: func(*http.Request) (*viewer.Viewer, error) { return nil, errors.New("token expired") }}).
		Handler(API{Plain: http.NotFoundHandler(), WriteError: WriteGraphQLError})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", nil))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Contains(t, rec.Header().Get("WWW-Authenticate"), "Bearer")
	require.Equal(t, "UNAUTHENTICATED", errorCode(t, rec.Body.Bytes()))
}

// Endpoints built from one Options share the caller's rate budget and the
// admission bound: calling REST does not double what GraphQL allows.
func TestEndpointsShareOneBudget(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	o := &Options{RateLimit: 0.001, RateBurst: 2}
	a := o.Handler(API{Plain: ok, WriteError: WriteGraphQLError})
	b := o.Handler(API{Plain: ok, WriteError: WriteGraphQLError})
	var codes []int
	for _, h := range []http.Handler{a, b, b} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		codes = append(codes, rec.Code)
	}
	require.Equal(t, []int{200, 200, 429}, codes)

	held, release := make(chan struct{}), make(chan struct{})
	o = &Options{MaxInFlight: 1, RequestTimeout: 50 * time.Millisecond}
	slow := o.Handler(API{Plain: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(held)
		<-release
	}), WriteError: WriteGraphQLError})
	other := o.Handler(API{Plain: ok, WriteError: WriteGraphQLError})
	done := make(chan struct{})
	go func() {
		defer close(done)
		slow.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}()
	<-held
	rec := httptest.NewRecorder()
	other.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, "the other endpoint waited for the one slot")
	require.Equal(t, "TIMEOUT", errorCode(t, rec.Body.Bytes()))
	close(release)
	<-done
}
