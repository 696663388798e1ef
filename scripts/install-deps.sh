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
  gettext  # msgfmt compiles po/ (common/i18n.hpp); xgettext/msgmerge check the catalogues are complete
  # herald-desktop (Qt 6 Widgets + D-Bus) and its tests: a virtual X display, a real
  # notification daemon on a private session bus, screenshots, fonts with Polish letters
  qt6-base-dev qt6-qpa-plugins libqt6svg6 xvfb xauth dunst dbus dbus-x11 imagemagick x11-utils fonts-dejavu-core
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
