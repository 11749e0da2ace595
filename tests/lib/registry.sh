# registry.sh: real registries for the tests: Debian's docker-registry on
# 127.0.0.1 with TLS from a CA made here. Sourced by tests/*.test.
#
#   pki_make DIR                 CA (DIR/ca.crt) and a 127.0.0.1/localhost
#                                server certificate (DIR/server.{crt,key})
#   registry_start DIR PORT [basic USER PASS | token REALM BUNDLE]
#                                start a registry storing under DIR; sets
#                                REGISTRY=127.0.0.1:PORT; DIR/pki-ca holds
#                                the CA alone (skopeo --cert-dir); token:
#                                Bearer tokens from REALM, signed by a
#                                certificate in BUNDLE (tests/lib/tokenserver.py)
#   registry_plain DIR ADDR:PORT [NETNS]
#                                a registry without TLS nor auth serving
#                                DIR/data, run in network namespace NETNS
#   registry_stop DIR            stop the registry started for DIR
#
# PKI_SAN adds names to the server certificate's subjectAltName
# ("DNS:reg.example.test").

pki_make() {
  local d=$1
  mkdir -p "$d"
  [ -f "$d/server.crt" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ocibox test CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null || return 1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost%s\nbasicConstraints=CA:FALSE\n' "${PKI_SAN:+,$PKI_SAN}" > "$d/ext"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null &&
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
      -CAcreateserial -days 2 -extfile "$d/ext" -out "$d/server.crt" 2>/dev/null
}

registry_start() {
  local d=$1 port=$2 auth=""
  pki_make "$d/pki" || return 1
  # the CA alone, for skopeo's --cert-dir and certs.d/HOST:PORT/
  mkdir -p "$d/pki-ca" && cp "$d/pki/ca.crt" "$d/pki-ca/"
  if [ "${3:-}" = basic ]; then
    htpasswd -Bbn "$4" "$5" > "$d/htpasswd" || return 1
    auth="auth:
  htpasswd:
    realm: ocibox-test
    path: $d/htpasswd"
  elif [ "${3:-}" = token ]; then
    auth="auth:
  token:
    realm: $4
    service: ocibox-registry
    issuer: ocibox-token
    rootcertbundle: $5"
  fi
  REGISTRY=127.0.0.1:$port
  registry_run "$d" "  addr: $REGISTRY
  tls:
    certificate: $d/pki/server.crt
    key: $d/pki/server.key
$auth" "" "https://$REGISTRY" --cacert "$d/pki/ca.crt"
}

registry_plain() {
  registry_run "$1" "  addr: $2" "${3:-}" "http://$2"
}

# registry_run DIR HTTP NETNS URL [CURL_OPTION...]: DIR/config.yml with
# HTTP after "http:", the registry started (in NETNS unless empty) and
# waited for at URL.
registry_run() {
  local d=$1 http=$2 ns=$3 url=$4 i=0
  shift 4
  mkdir -p "$d/data"
  cat > "$d/config.yml" <<CFG
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $d/data
  delete:
    enabled: true
http:
$http
CFG
  ${ns:+ip netns exec "$ns"} docker-registry serve "$d/config.yml" > "$d/log" 2>&1 &
  echo $! > "$d/pid"
  # Ready when it answers the v2 ping (401 counts: it is up).
  while [ $i -lt 100 ]; do
    ${ns:+ip netns exec "$ns"} curl -s -o /dev/null "$@" "$url/v2/" && return 0
    sleep 0.1
    i=$((i + 1))
  done
  echo "registry on $url did not start:" >&2
  cat "$d/log" >&2
  return 1
}

registry_stop() {
  local pid i=0
  [ -f "$1/pid" ] || return 0
  pid=$(cat "$1/pid")
  kill "$pid" 2>/dev/null
  # gone before the next test file binds the port again
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  rm -f "$1/pid"
}
