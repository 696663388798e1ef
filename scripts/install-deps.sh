#!/usr/bin/env bash
# The one list of Debian packages Herald needs to build, test and run its demo.
# Used by the README's commands and by .ci/run, so a clean machine and CI agree.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libpaho-mqttpp-dev libpaho-mqtt-dev libsimdjson-dev libmosquitto-dev mosquitto-dev
  mosquitto mosquitto-clients
  nlohmann-json3-dev libssl-dev openssl
  liblmdb-dev lmdb-utils
  doctest-dev libcli11-dev libical-dev libhowardhinnant-date-dev
  libnotify-bin procps clang-format
  tmux  # the integration tests drive the interactive chats through a real pseudo-terminal
  clang libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer (libclang_rt.fuzzer is only recommended by clang)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
