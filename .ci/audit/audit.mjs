// Runs the graphql-http server audit (GraphQL-over-HTTP spec conformance)
// against a running clientele server.
//
//   AUDIT_URL=http://127.0.0.1:8089/graphql [AUDIT_TOKEN=...] node audit.mjs
//
// Environment:
//   AUDIT_URL      (required) the GraphQL endpoint to audit.
//   AUDIT_TOKEN    (optional) sent as "Authorization: Bearer <token>" on every request.
//   AUDIT_ALLOW    (optional) comma-separated audit ids whose failure is tolerated
//                  (reported as "allowed"); empty by default, so every audit must pass.
//   AUDIT_TIMEOUT_MS (optional) per-request timeout, default 15000.
//
// Every audit (MUST, SHOULD and MAY) must come back "ok": a failed MUST is an
// error, a failed SHOULD a warning, a failed MAY a notice, and any of them
// makes this script exit 1. A fatal problem (server not reachable, request
// timeout) exits 2.
import { auditServer } from 'graphql-http';

const url = process.env.AUDIT_URL;
if (!url) {
  console.error('audit.mjs: AUDIT_URL is not set (e.g. AUDIT_URL=http://127.0.0.1:8089/graphql)');
  process.exit(2);
}
const token = process.env.AUDIT_TOKEN || '';
const allowed = new Set(
  (process.env.AUDIT_ALLOW || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const timeoutMs = Number(process.env.AUDIT_TIMEOUT_MS || 15000);

// Wrap the global fetch: add the bearer token (if any) and a timeout to every
// request the audits make. Some audits call fetchFn(url) with no init at all.
async function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers || {});
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(input, {
    ...init,
    headers,
    signal: init.signal || AbortSignal.timeout(timeoutMs),
  });
}

async function describeResponse(res) {
  if (!res) return '';
  let body = '<body unavailable>';
  try {
    const copy = res.bodyUsed ? null : res.clone();
    if (copy) body = await copy.text();
  } catch {
    // keep the placeholder
  }
  if (body.length > 400) body = `${body.slice(0, 400)}...`;
  const ct = res.headers.get('content-type') || '<none>';
  return `HTTP ${res.status}, content-type: ${ct}, body: ${body}`;
}

function describeFatal(err) {
  const parts = [String(err && err.message ? err.message : err)];
  let cause = err && err.cause;
  while (cause) {
    parts.push(String(cause.code || cause.message || cause));
    cause = cause.cause;
  }
  return parts.join(': ');
}

let results;
try {
  results = await auditServer({ url, fetchFn });
} catch (err) {
  console.error(`graphql-http audit: FATAL against ${url}: ${describeFatal(err)}`);
  process.exit(2);
}

const counts = { ok: 0, warn: 0, error: 0, notice: 0, allowed: 0 };
let failed = 0;
for (const r of results) {
  if (r.status === 'ok') {
    counts.ok++;
    console.log(`ok      ${r.id}  ${r.name}`);
    continue;
  }
  const detail = `${r.reason}; ${await describeResponse(r.response)}`;
  if (allowed.has(r.id)) {
    counts.allowed++;
    console.log(`allowed ${r.id}  ${r.name} (${r.status}, tolerated via AUDIT_ALLOW)\n          ${detail}`);
    continue;
  }
  counts[r.status] = (counts[r.status] || 0) + 1;
  failed++;
  console.log(`${r.status.padEnd(7)} ${r.id}  ${r.name}\n          ${detail}`);
}

let summary = `graphql-http audit: ${counts.ok} ok, ${counts.warn} warn(SHOULD), ${counts.error} error(MUST), ${counts.notice} notice(MAY)`;
if (counts.allowed) summary += `, ${counts.allowed} allowed`;
console.log(summary);
if (failed > 0) {
  console.log(`graphql-http audit: FAILED (${failed} of ${results.length} audits not ok)`);
  process.exit(1);
}
console.log(`graphql-http audit: PASSED (${results.length} audits)`);
