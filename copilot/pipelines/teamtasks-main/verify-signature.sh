#!/usr/bin/env bash
# Verify a detached PGP signature against one committed public key, and nothing else:
#   verify-signature.sh KEY_FILE PRIMARY_KEY_FINGERPRINT FILE SIGNATURE
# The key file must hold exactly one primary key with that fingerprint; the signature must be a
# good one made by that key (or one of its subkeys). A keyring of its own (no user keys, no key
# server) is made for the check and removed after it.
set -euo pipefail
key="${1:?key file}" fingerprint="${2:?fingerprint}" file="${3:?file}" signature="${4:?signature}"
fingerprint="${fingerprint// /}"

home="$(mktemp -d)"
export GNUPGHOME="$home"
trap 'gpgconf --kill all 2>/dev/null || true; rm -rf "$home"' EXIT

primaries="$(gpg --batch --with-colons --show-keys "$key" | awk -F: '$1 == "pub" { n++ } END { print n + 0 }')"
if [[ "$primaries" != 1 ]]; then
  echo "verify-signature: $key holds $primaries primary keys, expected 1" >&2
  exit 1
fi
found="$(gpg --batch --with-colons --show-keys "$key" | awk -F: '$1 == "fpr" { print $10; exit }')"
if [[ "$found" != "$fingerprint" ]]; then
  echo "verify-signature: $key is the key $found, expected $fingerprint" >&2
  exit 1
fi
gpg --batch --quiet --import "$key" 2>/dev/null

status="$home/status"
if ! gpg --batch --status-file "$status" --verify "$signature" "$file" 2>/dev/null; then
  echo "verify-signature: $signature is not a good signature of $file by $fingerprint" >&2
  exit 1
fi
# VALIDSIG <signing key> ... <primary key>: the good signature is this key's.
if ! grep -Eq "^\[GNUPG:\] VALIDSIG [0-9A-F]+ .* ${fingerprint}$" "$status"; then
  echo "verify-signature: $file is signed, but not by $fingerprint" >&2
  exit 1
fi
echo "verify-signature: $file has a good signature by $fingerprint"
