#!/usr/bin/env bash
# Installs every Debian 12 package mailwarden needs to build, test and benchmark. Idempotent:
# when everything is present it changes nothing and takes about a second.
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config clang-14 clang-format
  libboost1.81-dev libssl-dev libsqlite3-dev libsodium-dev libcrypt-dev
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  python3 swaks curl msmtp openssl sqlite3
  # c-ares for MX lookups off the I/O threads; dnsmasq-base (the binary only, no system service)
  # is the real DNS server the resolver and outbound delivery tests run on a loopback port.
  libc-ares-dev dnsmasq-base
  # gsasl: an independent SCRAM-SHA-256 client (GNU SASL) for the e2e test of SMTP AUTH
  # SCRAM-SHA-256; swaks, curl and msmtp do not speak SCRAM.
  gsasl
  # outbound-delivery e2e tests: aiosmtpd is the remote SMTP server (a real one, not ours)
  python3-aiosmtpd
  # issue #5: fail2ban-regex checks the shipped filter against a decision log from a real run;
  # netcat (nc) is the raw client that tries AUTH on the MX port.
  fail2ban netcat-openbsd
  # autoconfig e2e test: xmllint (--xpath) reads the Thunderbird/mailmaint/Autodiscover XML,
  # plistutil (libplist) parses the Apple .mobileconfig profile; curl fetches them
  libxml2-utils libplist-utils
  # promtool, Prometheus's own checker, lints the /metrics page in the e2e test. Debian 12 ships
  # it only inside the server package (no lighter package provides it); --no-install-recommends
  # keeps it to that, and Debian's policy-rc.d keeps the service from starting in containers.
  prometheus
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
