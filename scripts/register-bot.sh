#!/bin/sh
# Register a Matrix user as a bot with Orrery's bot endpoints: the original's script
# (research/boxel-bot-runner.md §1.9; seed 002 "Register via script"), same variables, defaults and
# messages, so the seed's command line works verbatim with REALM_SERVER_URL pointing at Orrery.
#
#   REALM_SERVER_URL  Orrery's URL (default http://localhost:4201)
#   REALM_SERVER_JWT  a bot JWT from POST /_server-session (required)
#   USERNAME          the Matrix user id to register (default @user:localhost); must be the JWT's user
#
# One POST /_bot-registration; the JSON:API answer is printed. Unlike the original, the username is
# JSON-escaped, and an HTTP error exits non-zero (the answer is still printed).
set -e

REALM_SERVER_URL="${REALM_SERVER_URL:-http://localhost:4201}"
USERNAME="${USERNAME:-@user:localhost}"

if [ -z "$REALM_SERVER_JWT" ]; then
  echo "REALM_SERVER_JWT is required" >&2
  exit 1
fi

escaped=$(printf '%s' "$USERNAME" | sed 's/\\/\\\\/g; s/"/\\"/g')
body="{\"data\":{\"type\":\"bot-registration\",\"attributes\":{\"username\":\"$escaped\"}}}"

# A JWT from /_server-session has no "Bearer " prefix; Orrery accepts either form.
case "$REALM_SERVER_JWT" in
  Bearer\ *) auth="$REALM_SERVER_JWT" ;;
  *) auth="Bearer $REALM_SERVER_JWT" ;;
esac

curl -sSk --fail-with-body -X POST "${REALM_SERVER_URL%/}/_bot-registration" \
  -H "Authorization: $auth" \
  -H "Accept: application/vnd.api+json" \
  -H "Content-Type: application/vnd.api+json" \
  --data "$body"
echo
