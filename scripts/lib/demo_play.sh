# The missed-call flow played against the running demo world, sourced by
# scripts/demo after demo_world.sh: a patient calls the clinic at 8:15 PM on
# the simulated business clock and nobody answers (Twilio's signed voice
# webhook and <Dial> action, delivered by the Twilio simulator), gets the
# text-back, has a short conversation by SMS (signed SMS webhooks), pays the
# deposit on Square's checkout page (the Square simulator posts Square's
# signed payment notifications), and is booked in the clinic's calendar.
# Each line of the transcript shows the business clock in the clinic's time
# zone and, for the clinic's replies, how long the reply took in real time.
# Needs: $admin, $public, $token, $api_key, $twilio, $square, $run.

DEMO_PATIENT_PHONE=+14155550101

# admin_call METHOD PATH [JSON]: the operator API; the answer in $run/body.
admin_call() {
    local status
    status=$(curl -sS -o "$run/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' ${3:+--data "$3"} "$admin$2") || fail "$1 $2: no answer"
    [ "$status" = 200 ] || { cat "$run/body" >&2; echo >&2; fail "$1 $2 answered $status"; }
}

# sim_call SIM_URL PATH [JSON]: a simulator's control API; answer in $run/body.
sim_call() {
    curl -sS -f -o "$run/body" -X POST -H 'Content-Type: application/json' \
        --data "${3:-"{}"}" "$1$2" || fail "simulator $1$2 failed"
}

now_ms() { date +%s%3N; }

# clock_local: the business clock in the clinic's time zone.
clock_local() {
    admin_call GET /admin/test/clock
    TZ=America/Los_Angeles date -d "$(jq -r .now "$run/body")" '+%a %b %-d %-I:%M:%S %p'
}

wait_idle() {
    for _ in $(seq 600); do
        admin_call GET /admin/test/idle
        [ "$(jq -r .idle "$run/body")" = true ] && return 0
        sleep 0.05
    done
    fail "the jobs never went idle"
}

# advance DURATION: the business clock walks forward (the patient takes a
# moment to answer), running whatever falls due on the way.
advance() { admin_call POST /admin/test/clock "{\"advance\":\"$1\",\"timeout_ms\":60000}"; }

seen_sent=0
# show_replies SINCE_MS: prints the clinic's messages to the patient sent
# since the last look, each with its delay after SINCE_MS (real time).
show_replies() {
    local since=$1 at n i
    wait_idle
    at=$(clock_local)
    curl -sS -f -o "$run/sent.json" "$twilio/_sim/messages" || fail "reading the Twilio simulator"
    n=$(jq '.messages | length' "$run/sent.json")
    for ((i = seen_sent; i < n; i++)); do
        jq -r --argjson i "$i" --argjson since "$since" --arg at "$at" --arg to "$DEMO_PATIENT_PHONE" \
            '.messages[$i] | select(.to == $to) |
             "  \($at)  clinic   (\(((.received_ms - $since) / 1000 * 100 | round) / 100) s later)\n" +
             (.body | split("\n") | map("      | " + .) | join("\n"))' "$run/sent.json"
    done
    seen_sent=$n
}

# patient_says TEXT: a signed inbound SMS from the patient, then the replies.
patient_says() {
    local t0
    advance PT1M
    printf '  %s  patient  %s\n' "$(clock_local)" "$1"
    t0=$(now_ms)
    sim_call "$twilio" /_sim/sms "$(jq -nc --arg f "$DEMO_PATIENT_PHONE" --arg t "$DEMO_CLINIC_PHONE" \
        --arg b "$1" '{from: $f, to: $t, body: $b}')"
    [ "$(jq -r .status "$run/body")" = 200 ] || fail "the SMS webhook was refused"
    show_replies "$t0"
}

# play_missed_call: the whole flow; ends the demo unless the booking is in
# the calendar.
play_missed_call() {
    local t0 link booking appt
    printf '  %s  %s calls Glow Aesthetics (%s); nobody answers\n' \
        "$(clock_local)" "$DEMO_PATIENT_PHONE" "$DEMO_CLINIC_PHONE"
    t0=$(now_ms)
    sim_call "$twilio" /_sim/call "$(jq -nc --arg f "$DEMO_PATIENT_PHONE" --arg t "$DEMO_CLINIC_PHONE" \
        '{from: $f, to: $t, dial_status: "no-answer"}')"
    [ "$(jq -r .voice.status "$run/body")" = 200 ] || fail "the voice webhook was refused"
    show_replies "$t0"
    patient_says "Yes, new client, want Botox"
    patient_says "Friday 3:30 works"
    patient_says "Emily Chen"

    link=$(jq -r --arg to "$DEMO_PATIENT_PHONE" '[.messages[] | select(.to == $to) | .body
        | capture("/checkout/(?<id>[A-Za-z0-9_-]+)")? | .id] | last // empty' "$run/sent.json")
    [ -n "$link" ] || fail "no deposit link was sent"
    advance PT2M
    printf '  %s  patient  pays the deposit on Square'"'"'s checkout page\n' "$(clock_local)"
    t0=$(now_ms)
    curl -sS -f -o "$run/body" -X POST "$square/_sim/pay?link=$link" || fail "the payment failed"
    show_replies "$t0"

    admin_call GET "/admin/test/state?tenant=glow"
    booking=$(jq -r --arg p "$DEMO_PATIENT_PHONE" '.contacts[] | select(.address == $p)
        | .bookings[] | select(.state == "booked") | .id' "$run/body" | tail -1)
    [ -n "$booking" ] || fail "the conversation ended without a booking"
    echo
    echo "  the booking, as the clinic API shows it (GET /bookings/$booking):"
    curl -sS -f -o "$run/body" -H "Authorization: Bearer $api_key" "$public/bookings/$booking" ||
        fail "GET /bookings/$booking"
    jq -c '{id, state, service, provider, start, "end": .end, emr_appointment_id, deposit_logged_as}' "$run/body" 2>/dev/null |
        sed 's/^/    /' || sed 's/^/    /' "$run/body"
    appt=$(jq -r '.emr_appointment_id // .appointment_id // empty' "$run/body")
    admin_call POST /admin/test/plugin-call \
        '{"tenant":"glow","plugin":"emr","op":"appointment_list","input":{"from":"2027-03-01T00:00:00Z","to":"2027-03-31T00:00:00Z"}}'
    echo "  the clinic's calendar (emr.local) has it:"
    jq -c --arg a "$appt" '.result.appointments[]? | select(($a == "") or (.id == $a))' "$run/body" |
        tail -1 | sed 's/^/    /'
    echo
    echo "  outcome: booked (booking $booking)"
}
