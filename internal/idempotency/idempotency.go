// Package idempotency makes requests safe to retry: a request sent with an
// Idempotency-Key header runs at most once per caller and key while the key
// lives (24 hours by default). A replay with the same body gets the stored
// response, marked with the Idempotent-Replayed header; the same key with a
// different body is refused; duplicates that arrive while the first still
// runs wait for it. Keys live in the database, so every replica shares them.
//
// The middleware is transport-neutral: it stores whatever status, content
// type and body the wrapped handler wrote.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"clientele/ent"
	"clientele/ent/idempotencykey"
	"clientele/internal/viewer"
)

// Header is the request header that carries the key.
const Header = "Idempotency-Key"

// ReplayedHeader is set to "true" on a stored response sent again.
const ReplayedHeader = "Idempotent-Replayed"

// The error codes of refused keyed requests.
const (
	// CodeKeyReused: the key was already used with a different request.
	CodeKeyReused = "IDEMPOTENCY_KEY_REUSED"
	// CodeInProgress: the first request with this key is still running
	// and did not finish while this one waited.
	CodeInProgress = "IDEMPOTENCY_KEY_IN_PROGRESS"
	// CodeInvalidKey: the key is empty or longer than MaxKeyLength.
	CodeInvalidKey = "BAD_USER_INPUT"
	// CodeUnavailable: the key store could not be reached.
	CodeUnavailable = "UNAVAILABLE"
)

// MaxKeyLength is the longest key accepted (UUIDs and ULIDs fit easily).
const MaxKeyLength = 255

// Options configure the middleware.
type Options struct {
	Client *ent.Client
	// TTL is how long a key is remembered (default 24 h).
	TTL time.Duration
	// Wait is how long a duplicate waits for the first request before it
	// is answered with CodeInProgress (default 30 s).
	Wait time.Duration
	// Lease is how long a running request owns its key: if its server dies
	// without storing a response, a retry after the lease may run again
	// (default 2 min).
	Lease time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Methods lists the request methods that are keyed (default: POST
	// only, GraphQL's writes). REST keys its writes with RESTMethods.
	// Requests of other methods pass straight through, keyed or not.
	Methods []string
	// WriteError writes a refusal in the transport's error shape.
	WriteError func(w http.ResponseWriter, status int, code, msg string)
	Logger     *slog.Logger
}

// RESTMethods are the methods of REST's writes: create, update (state
// machine triggers included) and delete.
var RESTMethods = []string{http.MethodPost, http.MethodPatch, http.MethodDelete}

// Middleware runs keyed requests (POST, or Options.Methods) at most once.
// Requests without the header, and other methods, pass straight through. The caller must
// already be in the request context (viewer.FromContext): keys are
// per caller.
func Middleware(next http.Handler, o Options) http.Handler {
	if o.TTL == 0 {
		o.TTL = 24 * time.Hour
	}
	if o.Wait == 0 {
		o.Wait = 30 * time.Second
	}
	if o.Lease == 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Methods == nil {
		o.Methods = []string{http.MethodPost}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(Header)
		if key == "" && len(r.Header.Values(Header)) == 0 || !slices.Contains(o.Methods, r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		if key == "" || len(key) > MaxKeyLength {
			o.WriteError(w, http.StatusBadRequest, CodeInvalidKey, "Idempotency-Key must be 1 to 255 characters.")
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			o.WriteError(w, http.StatusRequestEntityTooLarge, CodeInvalidKey, "The request body is too large.")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		s := &store{o: o}
		id := keyID(viewer.FromContext(r.Context()), key)
		reqHash := requestHash(r, body)
		deadline := time.NewTimer(o.Wait)
		defer deadline.Stop()
		for {
			row, mine, err := s.claim(r.Context(), id, reqHash)
			if err != nil {
				o.Logger.WarnContext(r.Context(), "idempotency store unavailable", "error", err.Error())
				w.Header().Set("Retry-After", "5")
				o.WriteError(w, http.StatusServiceUnavailable, CodeUnavailable, "The service is unavailable; retry later.")
				return
			}
			if mine {
				break
			}
			if !s.answerDuplicate(w, r, row, id, reqHash, deadline.C) {
				return
			}
			// The first request failed and gave the key back: claim it.
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		completed := false
		defer func() {
			if !completed {
				// The handler panicked or the request was cut off: free
				// the key so that a retry runs.
				s.release(context.WithoutCancel(r.Context()), id)
			}
		}()
		next.ServeHTTP(rec, r)
		completed = true
		if !final(rec.status) {
			// Not an answer to the request (a failure of ours, a rate
			// limit, a timeout): a retry should run it.
			s.release(context.WithoutCancel(r.Context()), id)
			return
		}
		if err := s.complete(context.WithoutCancel(r.Context()), id, rec); err != nil {
			o.Logger.WarnContext(r.Context(), "idempotency: could not store the response", "error", err.Error())
		}
	})
}

// final reports whether a response with this status answers the request
// itself, so that a retry must get it again.
func final(status int) bool {
	return status < 500 && status != http.StatusTooManyRequests && status != http.StatusRequestTimeout
}

// keyID names a key per caller: the same key from two credentials (or two
// customers) is two keys.
func keyID(v *viewer.Viewer, key string) string {
	h := sha256.New()
	if v != nil {
		h.Write([]byte(v.Mode))
		h.Write([]byte{0})
		h.Write([]byte(v.CredentialID))
		h.Write([]byte{0})
		h.Write([]byte(v.CustomerID))
	}
	h.Write([]byte{0})
	h.Write([]byte(key))
	return hex.EncodeToString(h.Sum(nil))
}

// requestHash fingerprints what the request asks for: method, path, query
// and body. A JSON body is compared by meaning (key order and spacing do
// not matter).
func requestHash(r *http.Request, body []byte) string {
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.Path + "?" + r.URL.RawQuery + "\n"))
	// Headers that change what the request means: a retry that fixed
	// its media type, or that expects another version, is a different
	// request, not a replay of the first one's refusal.
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	h.Write([]byte(ct + "\n" + strings.Join(r.Header.Values("If-Match"), ",") + "\n"))
	var v any
	if json.Unmarshal(body, &v) == nil {
		canon, _ := json.Marshal(v) // map keys come out sorted
		h.Write(canon)
	} else {
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil))
}

type store struct{ o Options }

// claim inserts the key as running, or returns the row that holds it. An
// expired key, or a running one whose lease ran out, is taken over.
func (s *store) claim(ctx context.Context, id, reqHash string) (*ent.IdempotencyKey, bool, error) {
	for range 3 {
		now := s.o.Now()
		err := s.o.Client.IdempotencyKey.Create().
			SetID(id).SetRequestHash(reqHash).SetCreatedAt(now).
			SetExpiresAt(now.Add(s.o.TTL)).SetLeaseUntil(now.Add(s.o.Lease)).
			Exec(ctx)
		if err == nil {
			return nil, true, nil
		}
		if !ent.IsConstraintError(err) {
			return nil, false, err
		}
		row, err := s.o.Client.IdempotencyKey.Get(ctx, id)
		if ent.IsNotFound(err) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, false, err
		}
		if now.Before(row.ExpiresAt) && (row.Done || now.Before(row.LeaseUntil)) {
			return row, false, nil
		}
		// Expired, or abandoned by a server that died: delete exactly that
		// row (a concurrent taker deletes nothing) and claim again.
		_, err = s.o.Client.IdempotencyKey.Delete().
			Where(idempotencykey.ID(id), idempotencykey.CreatedAt(row.CreatedAt)).Exec(ctx)
		if err != nil {
			return nil, false, err
		}
	}
	return nil, false, errors.New("idempotency key contended")
}

// answerDuplicate replays the stored response, refuses a different
// request, or waits for the first request to finish. It returns true when
// the first request gave the key back without an answer: the caller then
// claims it and runs.
func (s *store) answerDuplicate(w http.ResponseWriter, r *http.Request, row *ent.IdempotencyKey, id, reqHash string, deadline <-chan time.Time) bool {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		if row.RequestHash != reqHash {
			s.o.WriteError(w, http.StatusUnprocessableEntity, CodeKeyReused,
				"This Idempotency-Key was already used with a different request; use a new key.")
			return false
		}
		if row.Done {
			if row.ContentType != "" {
				w.Header().Set("Content-Type", row.ContentType)
			}
			for k, v := range row.Headers {
				w.Header().Set(k, v)
			}
			w.Header().Set(ReplayedHeader, "true")
			w.Header().Set("Content-Length", strconv.Itoa(len(row.Body)))
			w.WriteHeader(row.Status)
			_, _ = w.Write(row.Body)
			return false
		}
		select {
		case <-r.Context().Done():
			return false
		case <-deadline:
			w.Header().Set("Retry-After", "1")
			s.o.WriteError(w, http.StatusConflict, CodeInProgress,
				"A request with this Idempotency-Key is still running; retry later to get its response.")
			return false
		case <-tick.C:
		}
		next, err := s.o.Client.IdempotencyKey.Get(r.Context(), id)
		if ent.IsNotFound(err) {
			return true
		}
		if err != nil {
			w.Header().Set("Retry-After", "5")
			s.o.WriteError(w, http.StatusServiceUnavailable, CodeUnavailable, "The service is unavailable; retry later.")
			return false
		}
		row = next
	}
}

// replayedHeaders are the response headers, besides Content-Type, that a
// replay repeats: what the first answer said about the record it made.
var replayedHeaders = []string{"ETag", "Location"}

func (s *store) complete(ctx context.Context, id string, rec *recorder) error {
	headers := map[string]string{}
	for _, k := range replayedHeaders {
		if v := rec.Header().Get(k); v != "" {
			headers[k] = v
		}
	}
	return s.o.Client.IdempotencyKey.UpdateOneID(id).
		SetDone(true).SetStatus(rec.status).SetContentType(rec.Header().Get("Content-Type")).SetBody(rec.body.Bytes()).
		SetHeaders(headers).Exec(ctx)
}

func (s *store) release(ctx context.Context, id string) {
	_, _ = s.o.Client.IdempotencyKey.Delete().Where(idempotencykey.ID(id), idempotencykey.Done(false)).Exec(ctx)
}

// Purge deletes expired keys; the server runs it from time to time.
func Purge(ctx context.Context, c *ent.Client, now time.Time) (int, error) {
	return c.IdempotencyKey.Delete().Where(idempotencykey.ExpiresAtLT(now)).Exec(ctx)
}

// recorder passes a response through and keeps a copy of it.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
