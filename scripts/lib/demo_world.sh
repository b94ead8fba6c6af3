# The demo clinic's world, sourced by scripts/demo: the configuration of a
# bookwelld whose sample tenant 'glow' is wired to the built-in calendar
# (emr.local on scripts/lib/demo_clinic.json), the built-in understanding,
# Twilio and Square (their simulators, tests/sim/) and the web chat widget;
# and the simulators' start. The simulators stand in for the vendors only:
# every webhook they deliver is signed the way Twilio and Square sign them.

DEMO_TWILIO_ACCOUNT=AC0123456789abcdef0123456789abcdef
DEMO_CLINIC_PHONE=+14155550100
DEMO_FORWARD_PHONE=+14155550999
DEMO_WIDGET_KEY=glow-widget

# free_port: a TCP port on 127.0.0.1 nobody listens on right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# demo_secrets: the vendors' credentials the simulators and the daemon share,
# random for each run, handed over in the environment ("env:" references).
demo_secrets() {
    export BW_DEMO_TWILIO_TOKEN BW_DEMO_SQUARE_TOKEN BW_DEMO_SQUARE_KEY BW_DEMO_WEBCHAT_SECRET
    BW_DEMO_TWILIO_TOKEN=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
    BW_DEMO_SQUARE_TOKEN=EAAA$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
    BW_DEMO_SQUARE_KEY=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
    BW_DEMO_WEBCHAT_SECRET=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
}

# sim_start NAME DIR ARG...: starts tests/sim/NAME_sim.py on a free port;
# prints its pid and port ("PID PORT").
sim_start() {
    local name=$1 dir=$2 pid
    shift 2
    rm -f "$dir/$name.ready"
    python3 "$top/tests/sim/${name}_sim.py" --port 0 --ready-file "$dir/$name.ready" "$@" \
        </dev/null >"$dir/$name.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        [ -s "$dir/$name.ready" ] && break
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    [ -s "$dir/$name.ready" ] || return 1
    echo "$pid $(jq -r .port "$dir/$name.ready")"
}

# demo_conf DIR PUBLIC_PORT ADMIN_PORT TWILIO_URL SQUARE_URL SITE_ORIGIN:
# writes DIR/bookwelld.conf (the sample's, on the given ports, plugins from
# build/) and DIR/tenants/glow.conf (the sample clinic with its plugins).
demo_conf() {
    local dir=$1 public_port=$2 admin_port=$3 twilio=$4 square=$5 site=$6
    local public=http://127.0.0.1:$public_port
    mkdir -p "$dir/tenants"
    sed -E -e "s/^( *public *= *\"127\.0\.0\.1):[0-9]+\"/\1:$public_port\"/" \
        -e "s/^( *admin *= *\"127\.0\.0\.1):[0-9]+\"/\1:$admin_port\"/" \
        "$top/conf.d/bookwelld.conf" >"$dir/bookwelld.conf"
    sed -i -E "s|^( *)# dir = .*|\1dir = \"$top/build/plugins\";|" "$dir/bookwelld.conf"
    sed -n '/^tenant = {/,/^};/p' "$top/conf.d/tenants/glow.conf" >"$dir/tenants/glow.conf"
    cat >>"$dir/tenants/glow.conf" <<CONF

messaging = { phone = "$DEMO_CLINIC_PHONE"; };

plugins = (
  { plugin = "channel.twilio"; base_url = "$twilio";
    config = { account_sid = "$DEMO_TWILIO_ACCOUNT"; auth_token = "env:BW_DEMO_TWILIO_TOKEN";
               numbers = [ "$DEMO_CLINIC_PHONE" ]; forward_number = "$DEMO_FORWARD_PHONE";
               public_base_url = "$public"; api_base_url = "$twilio"; }; },
  { plugin = "payment.square"; base_url = "$square";
    config = { access_token = "env:BW_DEMO_SQUARE_TOKEN"; signature_key = "env:BW_DEMO_SQUARE_KEY";
               location_id = "LDEMOLOCATION1"; merchant_id = "MLDEMOMERCHANT1"; api_base = "$square";
               notification_url = "$public/webhooks/square/payments"; }; },
  { plugin = "channel.webchat";
    config = { widget_key = "$DEMO_WIDGET_KEY"; token_secret = "env:BW_DEMO_WEBCHAT_SECRET";
               clinic_name = "Glow Aesthetics"; allowed_origins = [ "$site" ]; }; },
  { plugin = "emr.local"; config = { clinic_file = "$top/scripts/lib/demo_clinic.json"; }; }
);
CONF
}

# demo_site DIR DAEMON_URL: the clinic's web page with the chat widget.
demo_site() {
    mkdir -p "$1"
    cat >"$1/index.html" <<HTML
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Glow Aesthetics</title></head>
<body><h1>Glow Aesthetics</h1>
<p>Botox, fillers and facials in San Francisco. Chat with us: the button at the bottom right.</p>
<script src="$2/webhooks/webchat/widget.js?key=$DEMO_WIDGET_KEY"></script>
</body></html>
HTML
}
