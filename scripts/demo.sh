#!/usr/bin/env bash
# The README's first command: a whole Herald on this machine, on loopback.
# Builds Herald, creates a CA and a TLS-only Mosquitto, accounts and ACLs for the
# library's org directory, starts heraldd and three agents in two branches, sends a
# sample alert and message, opens the message on one computer and prints the read
# status; a message that must be confirmed (read, still pending, confirmed) and its
# status in Polish; then runs a course (four lessons, one a day, on a simulated clock) and shows
# each person's progress, and plans a monthly reminder; last, an employee asks the
# helpdesk about the message in the chat and gets an answer. Everything lives in .herald-demo/ and is stopped at the end (--keep leaves
# it running and prints how to use it).
# --desktop: also the employee's desktop program for one more computer (under its own
# Xvfb, session bus and dunst when there is no display), with screenshots of its inbox
# and of a critical alert in .herald-demo/desktop/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
keep=false; desktop=false
for arg in "$@"; do
  case $arg in
    --keep) keep=true ;;
    --desktop) desktop=true ;;  # the desktop program too (block at the end; under Xvfb without a display)
    *) echo "usage: scripts/demo.sh [--keep] [--desktop]" >&2; exit 2 ;;
  esac
done
bash scripts/build.sh
bin=$root/build/bin
demo=$root/.herald-demo
agent_port=${HERALD_DEMO_AGENT_PORT:-18883}; people_port=${HERALD_DEMO_PEOPLE_PORT:-18884}

pids=()
cleanup() { $keep || { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }; }
trap cleanup EXIT
[ -f "$demo/pids" ] && xargs -r kill < "$demo/pids" 2>/dev/null || true
rm -rf "$demo"; mkdir -p "$demo"; chmod 711 "$demo"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "Broker: local CA, broker certificate, TLS-only Mosquitto on 127.0.0.1:$agent_port (agents) and :$people_port (people)"
broker-config/setup-broker "$demo/broker" "$agent_port" "$people_port" >/dev/null
cp deploy/demo-org.csv "$demo/org.csv"

step "Accounts: admin (full-admin), ops1 (communications operator, alerts only on branch 1), heraldd"
secret() { openssl rand -hex 12; }
hash() { local f; f=$(mktemp); mosquitto_passwd -b -c "$f" "$1" "$2"; cut -d: -f2- "$f"; rm -f "$f"; }
admin_pw=$(secret); ops_pw=$(secret); heraldd_pw=$(secret)
cat > "$demo/policy.json" <<JSON
{
  "roles": {},
  "accounts": {
    "admin":   {"roles": ["full-admin"], "password_hash": "$(hash admin "$admin_pw")"},
    "ops1":    {"roles": ["communications-operator"], "scopes": {"alert": ["org/branch01"]}, "password_hash": "$(hash ops1 "$ops_pw")"},
    "heraldd": {"roles": ["server"], "password_hash": "$(hash heraldd "$heraldd_pw")"}
  }
}
JSON
"$bin/herald-acl" apply "$demo/policy.json" --directory "$demo/org.csv" --out "$demo/broker"
mosquitto -c "$demo/broker/mosquitto.conf" > "$demo/broker/mosquitto.log" 2>&1 & pids+=($!)
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$people_port) 2>/dev/null && break; sleep 0.1; done

umask 077
cat > "$demo/herald.conf" <<CONF
broker = ssl://127.0.0.1:$people_port
ca_file = $demo/broker/pki/ca.crt
username = admin
password = $admin_pw
CONF
cat > "$demo/ops1.conf" <<CONF
broker = ssl://127.0.0.1:$people_port
ca_file = $demo/broker/pki/ca.crt
username = ops1
password = $ops_pw
scope = org/branch01
CONF
mkdir -p "$demo/heraldd"
cat > "$demo/heraldd/heraldd.conf" <<CONF
broker = ssl://127.0.0.1:$people_port
ca_file = $demo/broker/pki/ca.crt
username = heraldd
password = $heraldd_pw
data_dir = $demo/heraldd/data
directory_csv = $demo/org.csv
CONF

step "heraldd: the ledger (LMDB) with the library's directory of $(grep -c ',computer,' "$demo/org.csv") computers"
"$bin/heraldd" --config "$demo/heraldd/heraldd.conf" > "$demo/heraldd/heraldd.log" 2>&1 & heraldd_pid=$!; pids+=($heraldd_pid)

step "Three agents: two in branch 1, one in branch 2, each with its own client certificate"
start_agent() {
  local path=$1 user=$2 name=${1//\//+}
  local dir="$demo/agents/$name"; mkdir -p "$dir"
  broker-config/herald-pki agent "$demo/broker/pki" "$path" >/dev/null
  cat > "$dir/agent.conf" <<CONF
broker = ssl://127.0.0.1:$agent_port
ca_file = $demo/broker/pki/ca.crt
cert_file = $demo/broker/pki/agents/$name.crt
key_file = $demo/broker/pki/agents/$name.key
data_dir = $dir/data
display = log
user = $user
CONF
  "$bin/herald-agent" run --config "$dir/agent.conf" > "$dir/agent.log" 2>&1 & pids+=($!)
  echo "  $path (user $user): $dir/agent.log"
}
start_agent org/branch01/pc001 "$(grep '^org/branch01/pc001,' "$demo/org.csv" | cut -d, -f4)"
start_agent org/branch01/pc002 "$(grep '^org/branch01/pc002,' "$demo/org.csv" | cut -d, -f4)"
start_agent org/branch02/pc001 "$(grep '^org/branch02/pc001,' "$demo/org.csv" | cut -d, -f4)"
printf '%s\n' "${pids[@]}" > "$demo/pids"
for i in $(seq 100); do [ "$(grep -l subscribed "$demo"/agents/*/agent.log 2>/dev/null | wc -l)" -eq 3 ] && break; sleep 0.1; done

export HERALD_CONFIG=$demo/herald.conf
step "A quick alert to branch 1 (by ops1, who may alert only there)"
alert=$(HERALD_CONFIG=$demo/ops1.conf "$bin/herald" alert --to org/branch01 --title "Phishing" \
        --body "Do not open e-mails about unpaid invoices" --severity critical)
echo "alert id: $alert"
step "ops1 may not alert the whole library: the broker refuses it"
HERALD_CONFIG=$demo/ops1.conf "$bin/herald" alert --to org --body "Everyone!" || echo "(exit code $?)"
step "An inbox message to the whole library"
msg=$("$bin/herald" send --to org --title "Holiday opening hours" --body "All branches close at 14:00 on 24 December.")
echo "message id: $msg"
# Agents spread their receipts for a delivery to the whole org over 1-5 s (topics.md).
sleep 5
step "What branch 1's first computer shows and holds"
grep "ALERT" "$demo/agents/org+branch01+pc001/agent.log" | tail -1 || true
show "$bin/herald-agent" inbox --config "$demo/agents/org+branch01+pc001/agent.conf"
step "The employee at org/branch01/pc001 opens the message"
show "$bin/herald-agent" show "$msg" --config "$demo/agents/org+branch01+pc001/agent.conf"
sleep 1
step "Read status of the message (the directory's other computers have never connected: pending)"
"$bin/herald" status "$msg" | head -12
step "Status of the alert"
show "$bin/herald" status "$alert"
step "Messages sent"
show "$bin/herald" list
step "Still unread on branch 1's second computer"
show "$bin/herald" pending --under org/branch01/pc002

step "Read and confirm: a rule branch 1's first computer must confirm it has read and understood"
rule=$("$bin/herald" send --to org/branch01/pc001 --title "New fire exit" --require-confirm \
       --body "From Monday the fire exit is by the children's section.")
echo "message id: $rule"
sleep 1
show "$bin/herald-agent" show "$rule" --config "$demo/agents/org+branch01+pc001/agent.conf"
sleep 1
step "Read, but still pending until confirmed"
show "$bin/herald" pending --under org/branch01/pc001
show "$bin/herald-agent" confirm "$rule" --config "$demo/agents/org+branch01+pc001/agent.conf"
sleep 1
show "$bin/herald" status "$rule"
step "The same status in Polish (LANGUAGE=pl; --json and exit codes never change with the language)"
LANGUAGE=pl show "$bin/herald" status "$rule"

# From here heraldd's scheduler and herald run on a simulated clock, six hours per real
# second from now, so the course below plays out in seconds (messages are still stamped
# with the real time). A real installation leaves `clock` out. heraldd restarts to read
# it, and carries on from its ledger.
step "heraldd restarts with its scheduler on a simulated clock: six hours a second"
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
clock="clock = simulated $now 21600 $now"
echo "$clock" >> "$demo/heraldd/heraldd.conf"
echo "$clock" >> "$demo/herald.conf"
kill "$heraldd_pid"; wait "$heraldd_pid" 2>/dev/null || true
"$bin/heraldd" --config "$demo/heraldd/heraldd.conf" >> "$demo/heraldd/heraldd.log" 2>&1 & heraldd_pid=$!; pids+=($heraldd_pid)
printf '%s\n' "${pids[@]}" > "$demo/pids"
for i in $(seq 100); do [ "$(grep -c 'restore: the broker held' "$demo/heraldd/heraldd.log")" -ge 2 ] && break; sleep 0.1; done

step "E-learning: a course of four lessons (Markdown and an image, deploy/courses/bhp)"
show "$bin/herald" course create deploy/courses/bhp
tomorrow=$(TZ=Europe/Warsaw date -d "$now + 1 day" +%Y-%m-%d)
step "When its lessons would go: one a day at 09:00 Warsaw time from tomorrow"
show "$bin/herald" campaign preview bhp-biblioteka --schedule "FREQ=DAILY;COUNT=4" --at 09:00 --tz Europe/Warsaw --start "$tomorrow"
step "The campaign for branch 1"
campaign=$("$bin/herald" campaign start bhp-biblioteka --to org/branch01 --schedule "FREQ=DAILY;COUNT=4" --at 09:00 \
           --tz Europe/Warsaw --start "$tomorrow" | awk 'NR == 1 { print $NF }')
echo "campaign id: $campaign"
for i in $(seq 150); do "$bin/herald" campaign show "$campaign" --json | grep -q '"state":"finished"' && break; sleep 0.2; done
show "$bin/herald" campaign show "$campaign"
lesson1=$("$bin/herald" campaign show "$campaign" | awk '$1 == "1" { print $NF }')
step "The employee at org/branch01/pc001 opens lesson 1 and saves its images for a viewer"
sleep 1
show "$bin/herald-agent" show "$lesson1" --save-images "$demo/lesson-images" --config "$demo/agents/org+branch01+pc001/agent.conf"
ls -l "$demo/lesson-images"
sleep 1
step "Progress per person: who read how many lessons"
show "$bin/herald" progress bhp-biblioteka
step "A monthly reminder to the whole library, on the 1st at 08:00"
show "$bin/herald" send --to org --title "Monthly check" --body "Please back up your documents." \
  --repeat "FREQ=MONTHLY;BYMONTHDAY=1" --at 08:00 --tz Europe/Warsaw
show "$bin/herald" schedule list

# Chat: the interactive forms are `herald chat TARGET` and `herald-agent chat`; the demo
# uses their one-shot commands so that it runs without a terminal.
pc002="$demo/agents/org+branch01+pc002/agent.conf"
step "Chat: the employee at org/branch01/pc002 asks the helpdesk about the library-wide message"
show "$bin/herald-agent" chat send --about "$msg" "Does the new rule apply to part-time staff too?" --config "$pc002"
step "The helpdesk's conversations: the computer, what it is about, unread lines, the last line"
for i in $(seq 50); do "$bin/herald" chat --json | grep -q 'part-time' && break; sleep 0.1; done
show "$bin/herald" chat
step "The helpdesk answers; the employee's chat shows it"
show "$bin/herald" chat send org/branch01/pc002 "Yes: from 1 December, for everyone."
for i in $(seq 50); do "$bin/herald-agent" chat history --json --config "$pc002" | grep -q 'for everyone' && break; sleep 0.1; done
show "$bin/herald-agent" chat history --config "$pc002"
step "The conversation at the helpdesk, with delivered and read marks"
show "$bin/herald" chat history org/branch01/pc002

if $desktop; then
  # herald-desktop for one more computer, whose logged-in employee is whoever runs the
  # demo (the agent's socket serves only that person). Without a display it runs under
  # its own Xvfb, session bus and dunst, all stopped with the rest.
  step "The desktop program (herald-desktop) for org/branch02/pc002, employee $(id -un)"
  dd=$demo/desktop; mkdir -p "$dd/screenshots"
  start_agent org/branch02/pc002 "$(id -un)"
  for i in $(seq 100); do grep -q subscribed "$demo/agents/org+branch02+pc002/agent.log" && break; sleep 0.1; done
  if [ -z "${DISPLAY:-}" ]; then
    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$dd/display" > "$dd/xvfb.log" 2>&1 & pids+=($!)
    for i in $(seq 50); do [ -s "$dd/display" ] && break; sleep 0.1; done
    export DISPLAY=:$(head -1 "$dd/display")
    echo "  no display: Xvfb on $DISPLAY"
  fi
  if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
    dbus-daemon --session --nofork --print-address=3 3>"$dd/bus" > "$dd/dbus.log" 2>&1 & pids+=($!)
    for i in $(seq 50); do [ -s "$dd/bus" ] && break; sleep 0.1; done
    export DBUS_SESSION_BUS_ADDRESS=$(head -1 "$dd/bus")
    dunst > "$dd/dunst.log" 2>&1 & pids+=($!)
    echo "  own session bus, notifications by dunst"
  fi
  "$bin/herald-desktop" --show --config "$demo/agents/org+branch02+pc002/agent.conf" > "$dd/herald-desktop.log" 2>&1 & pids+=($!)
  printf '%s\n' "${pids[@]}" > "$demo/pids"
  for i in $(seq 100); do grep -q "subscribed to the agent" "$dd/herald-desktop.log" && break; sleep 0.1; done
  dalert=$("$bin/herald" alert --to org/branch02/pc002 --title "Ewakuacja / Evacuation" \
           --body "Proszę opuścić budynek. Please leave the building." --severity critical)
  dmsg=$("$bin/herald" send --to org/branch02/pc002 --title "Nowe godziny otwarcia / New opening hours" \
         --body "Od poniedziałku czynne 8:00–20:00. From Monday open 8:00-20:00. https://biblioteka.example/godziny")
  sleep 2
  show import -window root "$dd/screenshots/critical-alert.png"
  step "The employee presses the alert's button; the server records it displayed"
  xdotool key --clearmodifiers Return 2>/dev/null || true
  for i in $(seq 50); do "$bin/herald" status "$dalert" --json | grep -q '"displayed"' && break; sleep 0.1; done
  "$bin/herald" status "$dalert" | grep -E "branch02/pc002" || true
  step "The employee opens the message in the inbox window; the server records it read"
  window=$(xdotool search --onlyvisible --name '^Herald:' | head -1)
  xdotool mousemove --window "$window" 60 52 click 1 2>/dev/null || true
  for i in $(seq 50); do "$bin/herald" status "$dmsg" --json | grep -q '"read"' && break; sleep 0.1; done
  "$bin/herald" status "$dmsg" | grep -E "branch02/pc002" || true
  sleep 1
  show import -window root "$dd/screenshots/inbox.png"
  step "Screenshots of the desktop program: $dd/screenshots"
  ls -l "$dd/screenshots"
fi

if $keep; then
  step "Left running. Try: HERALD_CONFIG=$demo/herald.conf $bin/herald --help ; stop with: xargs kill < $demo/pids"
fi
