#!/usr/bin/env bash
# A Streamable HTTP session by hand, against `erlmcp start` (the everything demo server).
# Usage: URL=http://127.0.0.1:3000/mcp bash examples/docs/curl-session.sh
set -euo pipefail
URL=${URL:-http://127.0.0.1:3000/mcp}
H=(-H 'content-type: application/json' -H 'accept: application/json, text/event-stream')

# 1. initialize: the answer carries the session id in the Mcp-Session-Id header.
SID=$(curl -sS -D - -o /dev/null "${H[@]}" "$URL" \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}' \
  | tr -d '\r' | awk -F': ' 'tolower($1)=="mcp-session-id" {print $2}')
echo "session: $SID"
S=(-H "mcp-session-id: $SID" -H 'mcp-protocol-version: 2025-11-25')

# 2. initialized notification: 202 Accepted, no body.
curl -sS -o /dev/null -w 'initialized: %{http_code}\n' "${H[@]}" "${S[@]}" "$URL" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'

# 3. a tool call: the answer is an SSE stream ("event: message" / "data: {…}").
curl -sS "${H[@]}" "${S[@]}" "$URL" \
  -d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add_numbers","arguments":{"a":2,"b":40}}}'

# 4. end the session.
curl -sS -o /dev/null -w 'deleted: %{http_code}\n' -X DELETE "${S[@]}" "$URL"
