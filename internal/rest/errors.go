package rest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"clientele/internal/apperr"
	"clientele/internal/enterr"
	"clientele/internal/reqctx"
	"clientele/internal/store"
)

// The codes of requests refused before they reach the ent client
// (malformed requests); the others are apperr's codes.
const (
	CodeBadRequest           = string(apperr.BadRequest)
	CodeInvalidDocument      = "INVALID_DOCUMENT"
	CodeFilterNotAllowed     = "FILTER_NOT_ALLOWED"
	CodeInvalidFilterValue   = "INVALID_FILTER_VALUE"
	CodeInvalidSortCriteria  = "INVALID_SORT_CRITERIA"
	CodeInvalidInclude       = "INVALID_INCLUDE"
	CodeInvalidField         = "INVALID_FIELD"
	CodeInvalidPageValue     = "INVALID_PAGE_VALUE"
	CodeParamNotAllowed      = "PARAM_NOT_ALLOWED"
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	CodeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	CodeInternal             = string(apperr.Internal)
)

// status maps the codes of apperr to HTTP statuses: this is the one table
// between domain errors and REST.
var status = map[apperr.Code]int{
	apperr.Invalid:           http.StatusUnprocessableEntity,
	apperr.Taken:             http.StatusUnprocessableEntity,
	apperr.TooLong:           http.StatusUnprocessableEntity,
	apperr.InvalidTransition: http.StatusUnprocessableEntity,
	apperr.Locked:            http.StatusUnprocessableEntity,
	apperr.NotFound:          http.StatusNotFound,
	apperr.Unauthenticated:   http.StatusUnauthorized,
	apperr.Forbidden:         http.StatusForbidden,
	apperr.Conflict:          http.StatusConflict,
	apperr.Timeout:           http.StatusServiceUnavailable,
	apperr.Unavailable:       http.StatusServiceUnavailable,
}

// errorObject is one JSON:API error.
type errorObject struct {
	Status string         `json:"status"`
	Code   string         `json:"code"`
	Title  string         `json:"title"`
	Detail string         `json:"detail"`
	Source *errorSource   `json:"source,omitempty"`
	Meta   map[string]any `json:"meta,omitempty"`
}

type errorSource struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Header    string `json:"header,omitempty"`
}

// WriteError writes a JSON:API error document with one error. The HTTP
// layer uses it for the refusals it makes before the handler runs (401,
// 413, 429, idempotency keys), so that every answer under /api has one
// shape.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	writeErrors(w, status, errorObject{Status: strconv.Itoa(status), Code: code, Title: msg, Detail: msg})
}

func writeErrors(w http.ResponseWriter, status int, errs ...errorObject) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": errs})
}

// requestError is a malformed request: a 400 (or 405, 415) with a code,
// and the query parameter or body member at fault.
type requestError struct {
	status    int
	code      string
	msg       string
	parameter string
	pointer   string
	header    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(code, parameter, format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, code: code, parameter: parameter, msg: sprintf(format, args...)}
}

func badDocument(pointer, format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, code: CodeInvalidDocument, pointer: pointer, msg: sprintf(format, args...)}
}

// fail answers err: a malformed request as it says, a coded error by the
// status table (with the member of the document it concerns), anything
// else as an internal error whose detail goes to the log only.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, t *rtype, err error, singleRead bool) {
	var re *requestError
	if errors.As(err, &re) {
		e := errorObject{Status: strconv.Itoa(re.status), Code: re.code, Title: re.msg, Detail: re.msg}
		if re.pointer != "" || re.parameter != "" || re.header != "" {
			e.Source = &errorSource{Pointer: re.pointer, Parameter: re.parameter, Header: re.header}
		}
		if re.status == http.StatusMethodNotAllowed && re.parameter != "" {
			w.Header().Set("Allow", re.parameter)
			e.Source = nil
		}
		writeErrors(w, re.status, e)
		return
	}
	if ae, ok := enterr.Classify(err); ok {
		code := ae.Code
		if singleRead && code == apperr.Forbidden {
			// A record the caller may not read answers exactly like a
			// missing one.
			code = apperr.NotFound
		}
		st := status[code]
		if st == 0 {
			st = http.StatusUnprocessableEntity
		}
		msg := ae.Message
		if code == apperr.NotFound && (len(ae.Field) == 0 || ae.Field[0] == "id") {
			msg = "Could not find a record with this ID."
		}
		e := errorObject{Status: strconv.Itoa(st), Code: string(code), Title: msg, Detail: msg}
		if code == apperr.Conflict {
			// The expectation came from If-Match (resource.ExpectVersion).
			e.Source = &errorSource{Header: "If-Match"}
		} else if len(ae.Field) > 0 && t != nil {
			if p := t.pointer(ae.Field[0]); p != "" {
				e.Source = &errorSource{Pointer: p}
				e.Detail = p[strings.LastIndex(p, "/")+1:] + " - " + msg
			}
		}
		if code == apperr.Unavailable || code == apperr.Timeout {
			w.Header().Set("Retry-After", "5")
		}
		writeErrors(w, st, e)
		return
	}
	id := requestID(r)
	if store.Unavailable(err) {
		h.log.WarnContext(r.Context(), "database unavailable", "request_id", id, "path", r.URL.Path, "error", err.Error())
		w.Header().Set("Retry-After", "5")
		msg := "The service is unavailable; retry later."
		if store.DiskFull(err) {
			msg = "The database is out of space; nothing was written. Retry later."
		}
		WriteError(w, http.StatusServiceUnavailable, string(apperr.Unavailable), msg)
		return
	}
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	h.log.ErrorContext(r.Context(), "internal error", "request_id", id, "path", r.URL.Path, "error", err.Error())
	writeErrors(w, http.StatusInternalServerError, errorObject{Status: "500", Code: CodeInternal,
		Title: "internal error", Detail: "internal error", Meta: map[string]any{"request_id": id}})
}

// pointer returns the JSON pointer of the member an error field names
// (GraphQL's spelling, customerGroupID, or the column's), or "".
func (t *rtype) pointer(field string) string {
	if field == "id" {
		return ""
	}
	if p, ok := t.names[field]; ok {
		return p
	}
	if strings.HasPrefix(field, "_") {
		return "/data/attributes/" + field // a trigger
	}
	return ""
}

// requestID is the ID the HTTP layer gave the request (reqctx), for the
// log and the caller.
func requestID(r *http.Request) string {
	if id := reqctx.ID(r.Context()); id != "" {
		return id
	}
	return reqctx.NewID()
}

var discard = slog.New(slog.DiscardHandler)
