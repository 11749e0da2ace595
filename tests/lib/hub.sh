# hub.sh: stand-ins for the Docker Hub images that tutorials use, pushed
# under their Hub names (library/NAME:TAG) to the local registry, so that a
# daemon.json "registry-mirrors" entry for it serves `docker pull ubuntu`
# offline. Sourced by tests/*.test after tests/lib/registry.sh and
# tests/lib/fixture.sh; needs skopeo and musl-gcc.
#
#   hub_push DIR     build the images under DIR and push them all to
#                    localhost:$PORT ($R is the registry's directory);
#                    DIR/i-NAME.id holds each one's image ID (sha256:...)
#
# Every image but hello-world is the busybox fixture root plus a layer of
# its own; each has its Hub namesake's Cmd, ExposedPorts and a plausible
# creation time (so that images -f since=/before= have an order):
#
#   image          created     Cmd                        what it holds
#   busybox        2024-09-26  sh                         the fixture root alone
#   ubuntu         2024-09-11  /bin/bash                  bash, os-release 22.04
#   ubuntu:18.04   2023-05-30  /bin/bash                  bash, os-release 18.04.1
#   centos         2021-09-15  /bin/bash                  bash, redhat-release, a yum
#                                                          that "installs" nginx
#   centos:7.3     2016-12-15  /bin/bash                  as centos, release 7.3.1611
#   nginx          2024-10-02  nginx -g 'daemon off;'     an nginx (busybox httpd on
#   nginx:1.23.2   2022-11-15  (80/tcp, stop SIGQUIT)      80, "Welcome to nginx!")
#   redis          2024-10-01  redis-server (6379/tcp)    a redis-server that greets
#   redis:6.0.8    2020-09-10                             and waits
#   mysql:5.7      2023-10-25  mysqld (3306/tcp)          bash and a my.cnf
#   mongo:3.2      2018-09-13  mongod (27017/tcp)         bash and a mongod.conf
#   hello-world    2023-05-02  /hello                     /hello alone (static C)
#
# bash is `exec sh "$@"` (busybox has no bash applet).

# hub_file PATH MODE: stdin into PATH (directories made)
hub_file() {
  mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"
}

# hub_image OUT CREATED CONFIG DIR... -- CMD...: mkimage.sh with a time and
# more config members; the image ID goes to OUT.id
hub_image() {
  local out=$1 created=$2 config=$3
  shift 3
  MKIMAGE_CACHE=$hub_dir/gz MKIMAGE_CREATED=$created MKIMAGE_CONFIG=$config \
    sh "$TOP/tests/lib/mkimage.sh" "$out" t "$@" > "$out.id"
}

hub_push() {
  local d=$1 a
  hub_dir=$d
  mkdir -p "$d"
  fixture_rootfs "$d/base" || return 1
  for a in cp mv ln chmod sed cut tr date find sort xargs vi; do ln -sf busybox "$d/base/bin/$a"; done
  mkdir -p "$d/base/root" "$d/base/var/tmp"

  # bash, in every distribution's layer
  for a in ubuntu ubuntu18 centos centos73 nginx redis mysql mongo; do
    printf '#!/bin/sh\n# bash stand-in: busybox sh\nexec sh "$@"\n' | hub_file "$d/$a/bin/bash" 755
  done

  printf 'PRETTY_NAME="Ubuntu 22.04.5 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.5 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nHOME_URL="https://www.ubuntu.com/"\nUBUNTU_CODENAME=jammy\n' |
    hub_file "$d/ubuntu/etc/os-release" 644
  # as the tutorial shows it
  hub_file "$d/ubuntu18/etc/os-release" 644 <<'EOF'
NAME="Ubuntu"
VERSION="18.04.1 LTS (Bionic Beaver)"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 18.04.1 LTS"
VERSION_ID="18.04"
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
VERSION_CODENAME=bionic
UBUNTU_CODENAME=bionic
EOF

  # nginx: `nginx -g "daemon off;"` in the foreground
  hub_file "$d/nginx/usr/sbin/nginx" 755 <<'EOF'
#!/bin/sh
# nginx stand-in: serves /usr/share/nginx/html on port 80 in the
# foreground (busybox httpd), whatever -g says; TERM, QUIT or INT end it.
case "$1" in -v|-V) echo "nginx version: nginx/1.23.2" >&2; exit 0 ;; esac
httpd -f -p 80 -h /usr/share/nginx/html &
trap 'kill $! 2>/dev/null; exit 0' TERM QUIT INT
wait
EOF
  hub_file "$d/nginx/usr/share/nginx/html/index.html" 644 <<'EOF'
<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>
</body>
</html>
EOF
  printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n' |
    hub_file "$d/nginx/etc/os-release" 644

  # centos, with a yum that installs what /usr/share/yum-stub holds
  hub_file "$d/centos/usr/bin/yum" 755 <<'EOF'
#!/bin/sh
# yum stand-in: `yum install [-y] PKG...` copies /usr/share/yum-stub/PKG/ into /
[ "$1" = install ] || { echo "yum stand-in: only install" >&2; exit 1; }
shift
for p; do
  case $p in -*) continue ;; esac
  if [ ! -d "/usr/share/yum-stub/$p" ]; then
    echo "No match for argument: $p"
    echo "Error: Unable to find a match: $p"
    exit 1
  fi
  echo "Installing : $p"
  cp -a "/usr/share/yum-stub/$p/." /
done
echo "Complete!"
EOF
  mkdir -p "$d/centos/usr/share/yum-stub/nginx/usr" &&
    cp -a "$d/nginx/usr/." "$d/centos/usr/share/yum-stub/nginx/usr/"
  cp -a "$d/centos/." "$d/centos73/"
  for a in redhat-release centos-release; do
    echo "CentOS Linux release 8.4.2105" | hub_file "$d/centos/etc/$a" 644
    echo "CentOS Linux release 7.3.1611 (Core)" | hub_file "$d/centos73/etc/$a" 644
  done

  hub_file "$d/redis/usr/local/bin/redis-server" 755 <<'EOF'
#!/bin/sh
# redis-server stand-in: Redis 6.0.8's start-up lines, then it waits; TERM
# or INT end it as Redis does.
t() { date '+%d %b %Y %H:%M:%S.000'; }
echo "1:C $(t) # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"
echo "1:C $(t) # Redis version=6.0.8, bits=64, commit=00000000, modified=0, pid=$$, just started"
echo "1:M $(t) * Running mode=standalone, port=6379."
echo "1:M $(t) * Ready to accept connections"
bye() {
  echo "1:signal-handler ($(date +%s)) Received $1 scheduling shutdown..."
  echo "1:M $(t) # Redis is now ready to exit, bye bye..."
  exit 0
}
trap 'bye SIGTERM' TERM
trap 'bye SIGINT' INT
while :; do sleep 3600 & wait $!; done
EOF
  printf '[mysqld]\nskip-host-cache\n' | hub_file "$d/mysql/etc/mysql/my.cnf" 644
  printf 'net:\n  port: 27017\n' | hub_file "$d/mongo/etc/mongod.conf.orig" 644
  mkdir -p "$d/hello"
  musl-gcc -static -Os -o "$d/hello/hello" "$TOP/tests/lib/hello.c" || return 1

  # busybox first: its layer, compressed once, is everyone's first
  local nginx='"ExposedPorts":{"80/tcp":{}},"StopSignal":"SIGQUIT"' redis='"ExposedPorts":{"6379/tcp":{}}'
  local pids="" p rc=0
  hub_image "$d/i-busybox" 2024-09-26T21:31:42Z '' "$d/base" -- sh || return 1
  hub_image "$d/i-ubuntu" 2024-09-11T16:25:41Z '' "$d/base" "$d/ubuntu" -- /bin/bash & pids="$pids $!"
  hub_image "$d/i-ubuntu18" 2023-05-30T09:32:09Z '' "$d/base" "$d/ubuntu18" -- /bin/bash & pids="$pids $!"
  hub_image "$d/i-centos" 2021-09-15T18:20:05Z '' "$d/base" "$d/centos" -- /bin/bash & pids="$pids $!"
  hub_image "$d/i-centos73" 2016-12-15T20:46:37Z '' "$d/base" "$d/centos73" -- /bin/bash & pids="$pids $!"
  hub_image "$d/i-nginx" 2024-10-02T17:55:35Z "$nginx" "$d/base" "$d/nginx" -- nginx -g 'daemon off;' & pids="$pids $!"
  hub_image "$d/i-nginx1232" 2022-11-15T04:39:09Z "$nginx" "$d/base" "$d/nginx" -- nginx -g 'daemon off;' & pids="$pids $!"
  hub_image "$d/i-redis" 2024-10-01T10:21:07Z "$redis" "$d/base" "$d/redis" -- redis-server & pids="$pids $!"
  hub_image "$d/i-redis608" 2020-09-10T17:16:23Z "$redis" "$d/base" "$d/redis" -- redis-server & pids="$pids $!"
  hub_image "$d/i-mysql" 2023-10-25T05:38:19Z '"ExposedPorts":{"3306/tcp":{},"33060/tcp":{}}' "$d/base" "$d/mysql" -- mysqld & pids="$pids $!"
  hub_image "$d/i-mongo" 2018-09-13T22:09:50Z '"ExposedPorts":{"27017/tcp":{}}' "$d/base" "$d/mongo" -- mongod & pids="$pids $!"
  hub_image "$d/i-hello" 2023-05-02T16:49:27Z '' "$d/hello" -- /hello & pids="$pids $!"
  for p in $pids; do wait $p || rc=1; done
  [ $rc = 0 ] || return 1

  set -- i-busybox busybox:latest i-ubuntu ubuntu:latest i-ubuntu18 ubuntu:18.04 \
    i-centos centos:latest i-centos73 centos:7.3 i-nginx nginx:latest i-nginx1232 nginx:1.23.2 \
    i-redis redis:latest i-redis608 redis:6.0.8 i-mysql mysql:5.7 i-mongo mongo:3.2 \
    i-hello hello-world:latest
  # the shared root first, then the rest at once
  skopeo copy -q --dest-cert-dir "$R/pki-ca" "oci:$d/$1:t" "docker://localhost:$PORT/library/$2" || return 1
  shift 2
  pids=""
  while [ $# -gt 0 ]; do
    skopeo copy -q --dest-cert-dir "$R/pki-ca" "oci:$d/$1:t" "docker://localhost:$PORT/library/$2" & pids="$pids $!"
    shift 2
  done
  for p in $pids; do wait $p || rc=1; done
  return $rc
}
