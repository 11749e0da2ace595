// ocibox.h: the one shared header: applet context, option parsing, x-helpers,
// growing buffers, and the APIs of the small libraries in lib/.
#ifndef OCIBOX_H
#define OCIBOX_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "generated/config.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof(*(a)))
#define NORETURN __attribute__((noreturn))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))

// ---- applets and their options (lib/main.c, lib/args.c) ----------------

// One registered applet; the table is generated from applets/*.c.
struct applet {
  const char *name;
  void (*main)(void);
  const char *optstr;  // see lib/args.c for the grammar
  const char *help;    // the Kconfig help text, "usage: ..." first
  const char *summary; // one line for the overview
  unsigned bits;       // APPLET_* below
};
#define APPLET_ERR125 1  // ocibox's own errors exit 125 (run, create, exec...)
#define APPLET_HIDDEN 2  // not in the overview (test applets)

// A list of strings, in the order given (repeatable options).
struct strlist {
  struct strlist *next;
  char *s;
};

union optval {
  char *s;              // ':' options: the last value given
  long long n;          // '#' options
  struct strlist *list; // '*' options: every value, in order
};

#define MAX_OPTS 64

// The one applet context: everything an applet run shares.
struct applet_context {
  const struct applet *which;
  int argc;            // positional arguments left after option parsing
  char **argv;         // NULL-terminated
  uint64_t flags;      // FLAG_x bits of the options seen
  union optval opt[MAX_OPTS];
  int exitval;         // what xexit() and the x-helpers exit with
  const char *root;    // the data root (--root, OCIBOX_ROOT, daemon.json)
  const char *config_path;  // the daemon.json in use
  int docker;          // called through the docker front
  struct ocibox_config *conf;  // daemon.json, once config_load() ran
  char why[512];       // reason left by the last failing library call
};
extern struct applet_context applet;

// Generated per applet: #define FOR_name, then #include "generated/flags.h"
// gives FLAG_x / FLAG_longname bits and OPT_x indices.
#define FLAG(x) (!!(applet.flags & FLAG_##x))
#define OPTSTR(x) (applet.opt[OPT_##x].s)
#define OPTNUM(x) (applet.opt[OPT_##x].n)
#define OPTLIST(x) (applet.opt[OPT_##x].list)

// Parse argv by the applet's option string into the applet context.
void args_parse(const struct applet *a, char **argv);
void show_help(const struct applet *a, FILE *out);
const struct applet *applet_find(const char *name);
const struct applet *applet_at(size_t i);  // NULL past the last
NORETURN void run_applet(const struct applet *a, char **argv);
// The data root: --root, else OCIBOX_ROOT, else daemon.json's data-root,
// else /var/lib/ocibox.
const char *data_root(void);

// ---- errors and x-helpers (lib/xfuncs.c) -------------------------------

// Messages go to stderr as "ocibox: APPLET: ..."; each sets the exit
// status to 1 if it was still 0.
void error_msg(const char *fmt, ...) PRINTF(1, 2);
void perror_msg(const char *fmt, ...) PRINTF(1, 2);  // appends ": strerror(errno)"
NORETURN void error_exit(const char *fmt, ...) PRINTF(1, 2);
NORETURN void perror_exit(const char *fmt, ...) PRINTF(1, 2);
NORETURN void help_exit(const char *fmt, ...) PRINTF(1, 2);  // usage error
NORETURN void xexit(void);

// Library calls that fail return -errno (or -1) after leaving the reason in
// applet.why: "return fail(EINVAL, "bad %s", x);"
int fail(int err, const char *fmt, ...) PRINTF(2, 3);

void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xmprintf(const char *fmt, ...) PRINTF(1, 2);
int xopen(const char *path, int flags, ...);
int xopenat(int dirfd, const char *path, int flags, ...);
void xclose(int fd);
ssize_t readall(int fd, void *buf, size_t len);  // short only at EOF; -1 error
ssize_t writeall(int fd, const void *buf, size_t len);
void xwriteall(int fd, const void *buf, size_t len);
// Read a whole file (at most max bytes, else -EFBIG); NUL-terminated copy.
int readfile_at(int dirfd, const char *path, size_t max, char **out, size_t *len);
// A packed "a\0b\0\0" name table: the index of a name, or -1; the nth name.
int strtab_index(const char *tab, const char *s, size_t len, int icase);
const char *strtab_at(const char *tab, int n);
// One read of a small file (regular, or proc/cgroup); size: maybe more.
ssize_t read_small_at(int dirfd, const char *path, char *buf, size_t size);
char *xreadfile(const char *path, size_t max, size_t *len);
int fsync_dir_at(int dirfd, const char *path);
// Is there something at path (symlinks followed)? fstatat, not musl's
// faccessat, which carries a fork path for AT_EACCESS.
int exists_at(int dirfd, const char *path);
// Bytes of regular files under dirfd (closed when done).
int64_t du_at(int dirfd);
// A blocking system call (wait4, ppoll) made with the least memory mapped.
long idle_syscall(long nr, long a, long b, long c, long d, long e);
struct pollfd;
int idle_poll(struct pollfd *p, unsigned long n);  // poll(p, n, -1), idle after 1 s
// poll() one fd for ev, retrying on EINTR; -1 (ETIMEDOUT) on timeout.
int fd_wait(int fd, short ev, int timeout_ms);
// Docker's prune prompt on stdout; 1 when answered y.
int confirm(const char *warning);
// Replace dirfd/name atomically: temp file, fsync, rename, fsync the dir.
int atomic_write_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode);
// The same without the fsyncs: for files remade anyway or that a reboot
// makes stale (leases, hosts, a container's state), never for the store's.
int replace_file_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode);
void xatomic_write_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode);
int mkdir_p(const char *path, mode_t mode);
int rm_rf(const char *path);  // no symlinks followed; missing is fine
void strlist_add(struct strlist **head, char *s);
void strlist_free(struct strlist *l);  // frees the strings too

// ---- growing buffers (lib/buf.c) ---------------------------------------

// Always NUL-terminated once anything was added; s is NULL when empty.
struct buf {
  char *s;
  size_t len, cap;
};
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) PRINTF(2, 3);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
const char *buf_str(struct buf *b);  // "" when empty
char *buf_steal(struct buf *b);      // caller frees; b is left empty
void buf_free(struct buf *b);

// ---- JSON (lib/json.c): strict reader, canonical writer ----------------

enum json_type {
  JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY,
  JSON_OBJECT
};

// A parsed value. Arrays and objects hold their children as a list.
struct json {
  struct json *next;   // next element or member of the parent
  struct json *child;  // first element or member (arrays, objects)
  char *key;           // member name, unescaped (NULL in arrays)
  char *str;           // string value, unescaped and NUL-terminated;
                       // for numbers the number's exact source text
  size_t len;          // bytes in str (strings may hold \0); children count
  enum json_type type;
};

#define JSON_MAX_DEPTH 128
struct json_err {
  size_t off;          // byte offset of the error
  unsigned line, col;  // 1-based
  const char *msg;     // static text, e.g. "unterminated string"
};
// Parse exactly one value (surrounding white space allowed). Returns NULL
// and fills err on any malformed input. Free with json_free().
struct json *json_parse(const char *s, size_t len, struct json_err *err);
void json_free(struct json *j);
struct json *json_get(const struct json *obj, const char *key);  // last match
struct json *json_at(const struct json *arr, size_t i);
const char *json_get_str(const struct json *obj, const char *key);  // NULL unless string
int json_int(const struct json *j, long long *out);  // 0 when an integer fits

// The writer appends to a buf. indent 0: compact; otherwise pretty with
// that many spaces (-1: one tab), like Go's json.MarshalIndent. Strings are escaped as
// Go does without HTML escaping.
struct jw {
  struct buf *b;
  int indent, depth;
  uint64_t nonempty[JSON_MAX_DEPTH / 64];   // bit per depth: has a member
  uint64_t is_object[JSON_MAX_DEPTH / 64];  // bit per depth
};
void jw_init(struct jw *w, struct buf *b, int indent);
void jw_obj(struct jw *w, const char *key);   // key NULL inside arrays / at top
void jw_arr(struct jw *w, const char *key);
void jw_end(struct jw *w);                    // closes the innermost
void jw_str(struct jw *w, const char *key, const char *val);  // NULL val: null
void jw_strn(struct jw *w, const char *key, const char *val, size_t n);
void jw_int(struct jw *w, const char *key, long long n);
void jw_bool(struct jw *w, const char *key, int v);
void jw_null(struct jw *w, const char *key);
void jw_raw(struct jw *w, const char *key, const char *json);  // pre-made JSON
void jw_value(struct jw *w, const char *key, const struct json *v);
void json_quote(struct buf *b, const char *s, size_t n);

// ---- image references (lib/ref.c): Docker's grammar and normalisation --

struct ref {
  char domain[256];  // "docker.io", "localhost:5000", "[::1]:5000"
  char path[256];    // "library/busybox"
  char tag[129];     // "" when only a digest was given
  char digest[80];   // "sha256:<64 hex>" or ""
};
// Parse and normalise like Docker's ParseNormalizedNamed; adds tag
// "latest" when neither tag nor digest is given. Returns 0, or -1 with
// Docker's message in applet.why ("invalid reference format", ...).
int ref_parse(const char *s, struct ref *r);
// Append "docker.io/library/busybox:latest" (name, :tag, @digest).
void ref_full(const struct ref *r, struct buf *b);
// Append the familiar form "busybox:latest" / "host:5000/a/b:t".
void ref_familiar(const struct ref *r, struct buf *b);
// Append the familiar repository name alone: "busybox", "host:5000/a/b".
void ref_familiar_name(const struct ref *r, struct buf *b);
int is_image_id(const char *s);  // 64 lowercase hex (optionally "sha256:")

// ---- sha256 digests (lib/digest.c, BearSSL's sha256) -------------------

struct digest {
  uint64_t state[28];  // room for BearSSL's br_sha256_context
  int fast;            // the CPU has SHA instructions (SHA_NI)
};
void digest_init(struct digest *d);
void digest_update(struct digest *d, const void *p, size_t n);
// "sha256:<64 lowercase hex>"
void digest_final(struct digest *d, char out[72]);
void digest_buf(const void *p, size_t n, char out[72]);
int digest_valid(const char *s);

// ---- URLs (lib/url.c) --------------------------------------------------

struct url {
  char scheme[8];    // "http" or "https"
  char host[256];    // IPv6 without its brackets
  char port[8];      // as given, or the scheme's default ("443", "80")
  char path[4096];   // path and query; "/" at least
};
int url_parse(const char *s, struct url *u);  // -1 with applet.why
// RFC 3986 reference resolution: ref may be absolute, "//host/p", "/p",
// "p", "?q" (registries hand out relative upload Locations).
int url_resolve(const struct url *base, const char *ref, struct url *out);
void url_format(const struct url *u, struct buf *out);
int url_same_host(const struct url *a, const struct url *b);

// ---- HTTP/1.1 client (lib/http.c) over TCP or TLS (lib/tls.c) ----------

struct http_conn;  // one connection, kept alive for reuse (lib/http.c)

// TLS trust for registries: the system bundle, Docker's per-registry
// certs.d/HOST:PORT/ca.crt (and client.cert/client.key), and hosts whose
// certificates are not verified (insecure-registries).
struct http_client {
  struct http_conn *idle;      // kept-alive connections
  int timeout_ms;              // connect, and each read or write; 0: 30 s
  const char *ca_file;         // NULL: $SSL_CERT_FILE or the Debian bundle
  const char *certs_dirs[3];   // searched for HOST:PORT/ca.crt, NULL-ended
  const char *registry;        // and for this host[:port]'s, as Docker trusts
                               // the registry's CA for its token realm too
  int (*insecure)(const char *host, const char *port);  // skip verification?
  struct tls_anchors *anchors; // trust anchors of the last TLS host (tls.c)
};

struct http_resp {
  int status;
  struct strlist *headers;     // "Name: value" lines as received
  int64_t length;              // Content-Length; -1 when not given
  struct http_conn *conn;      // private: the body's connection and state
  int64_t left;
  int chunked, done;
};

// Send one request and read the response head. The body is body_len bytes
// from body, or streamed from body_fd when body_fd >= 0; headers are
// "Name: value" lines. Host, Content-Length, User-Agent and Connection are
// added. Proxies come from https_proxy/http_proxy/no_proxy. 0 or -1 + why.
int http_request(struct http_client *c, const char *method, const struct url *u,
                 const struct strlist *headers, const void *body, int body_fd,
                 int64_t body_len, struct http_resp *r);
// The body, decoded from chunked if need be: 0 at its end, -1 + why.
ssize_t http_read(struct http_resp *r, void *buf, size_t n);
// Finish with a response: a short unread rest is drained so the connection
// is kept for the next request to the same host; otherwise it is closed.
void http_done(struct http_client *c, struct http_resp *r);
// The first header of that name (case-insensitive), value trimmed; NULL.
const char *http_header(const struct http_resp *r, const char *name);
void http_client_close(struct http_client *c);

// TLS connections for http.c (lib/tls.c, BearSSL): handshake on a
// connected socket with the client's trust settings; read 0 at the end.
struct tls;
int tls_open(struct tls **t, int fd, const char *host, const char *port,
             struct http_client *c, int timeout_ms);
ssize_t tls_read(struct tls *t, void *buf, size_t n);
int tls_write(struct tls *t, const void *buf, size_t n);
void tls_close(struct tls *t);  // NULL is fine
void tls_anchors_free(struct tls_anchors *a);

// ---- base64 (lib/base64.c), for Basic auth and ~/.docker/config.json ----

void base64_encode(const void *p, size_t n, struct buf *out);
int base64_decode(const char *s, struct buf *out);  // -1 on bad input

// ---- registry credentials (lib/auth.c): Docker's ~/.docker/config.json --

char *creds_get(const char *key);  // base64 "user:pass", or NULL
// Store (auth) or remove (NULL) a key's entry; 1 when there was none to remove.
int creds_set(const char *key, const char *auth);
// The key Docker files a server under: host[:port], or Docker Hub's URL.
const char *creds_key(const char *server, char out[300]);

// ---- registry client (lib/registry.c): distribution API v2 and auth ----

struct registry {
  struct http_client http;
  struct ref ref;
  char endpoint[272];   // host[:port] requests go to (registry-1.docker.io)
  char scheme[8];       // "https", or "http" for plain insecure registries
  char *scope;          // "repository:library/busybox:pull"
  char *auth;           // the Authorization value in use, or NULL
  char *basic;          // base64(user:pass) for this registry, or NULL
  int bearer;           // the registry wants Bearer tokens
  char *certs_d;        // certs.d beside the config file in use
};
// Prepare to talk to ref's registry for actions "pull" or "pull,push":
// endpoint, TLS trust (certs.d, insecure-registries), credentials.
int reg_open(struct registry *r, const struct ref *ref, const char *actions);
void reg_close(struct registry *r);
// One request on the repository ("/v2/<path>/" + tail), with auth (401
// challenges answered once) and redirects (Authorization dropped when the
// host changes). A 4xx/5xx is returned too: check resp->status.
int reg_request(struct registry *r, const char *method, const char *tail,
                const struct strlist *headers, struct http_resp *resp);
// The same for any URL (upload Locations), with an optional body: bytes,
// or len bytes streamed from fd at off (sought again for a retry after a
// 401).
struct reg_body {
  const void *p;
  int fd;
  int64_t len, off;
};
int reg_send(struct registry *r, const char *method, const struct url *u,
             const struct strlist *headers, const struct reg_body *body, struct http_resp *resp);
// The registry's error body as "CODE: message" (or the HTTP status).
void reg_error(struct registry *r, struct http_resp *resp, struct buf *why);
// Read a response body into body, at most max bytes ("WHAT too large").
int reg_read_body(struct http_resp *resp, struct buf *body, size_t max, const char *what);
// Percent-encode all but RFC 3986's unreserved characters (query values).
void url_escape(const char *s, struct buf *out);
#define MANIFEST_MAX (4 << 20)
// GET a manifest by tag or digest: body (≤ MANIFEST_MAX), media type,
// digest checked against Docker-Content-Digest and a digest reference.
int reg_manifest(struct registry *r, const char *reference, struct buf *body,
                 char media_type[128], char digest[72]);
// GET a blob from offset `from` (Range); the response is 200 or 206.
int reg_blob(struct registry *r, const char *digest, int64_t from, struct http_resp *resp);

// ---- the image store (lib/store.c): an OCI image layout plus layers ----
//
// root/oci-layout, index.json, blobs/sha256/<hex>: an OCI image layout
// (skopeo's oci:ROOT:NAME and umoci read it); root/layers/<chain hex>/ the
// unpacked layers (diff/ plus layer.json); root/tmp/ staging. Users of
// the store hold gc.lock shared while they may be about to reference a
// layer; garbage collection holds it exclusive; index.json changes happen
// under index.lock. See docs/store.md.

enum { STORE_READ, STORE_USE };
struct store {
  char *root;
  int fd;         // the data root
  int gc_lock;    // root/gc.lock, flocked shared (USE) or exclusive (store_gc)
  int index_lock; // root/index.lock while index_lock() holds it, else -1
};
int store_open(struct store *s, int mode);  // -1 + why
// gc.lock exclusive at once (tmp/ leftovers of dead processes then
// removed): 0, or -1 while another process holds it.
int store_gc(struct store *s);
void store_close(struct store *s);

// One descriptor of index.json: a name (or none: dangling) for a manifest.
struct index_entry {
  char *name;          // "docker.io/library/busybox:latest"; NULL: dangling
  char digest[72];     // the manifest's digest
  char *media_type;
  int64_t size;
  char *repo_digest;   // digest the registry knows it by (index or manifest)
  char *created;       // when the name was set, RFC 3339
};
struct index {
  struct index_entry *e;
  size_t n;
};
int index_load(struct store *s, struct index *ix);
// Take index.lock, load; then save (atomically) and unlock, or just unlock.
int index_lock(struct store *s, struct index *ix);
int index_save(struct store *s, struct index *ix);
void index_unlock(struct store *s);
void index_free(struct index *ix);
struct index_entry *index_find(struct index *ix, const char *name);
struct index_entry *index_add(struct index *ix);
// Point name at a manifest (locks, saves); *updated: it pointed elsewhere.
// repo_digest may be NULL.
int index_name(struct store *s, const char *name, const char *manifest_digest,
               const char *media_type, size_t size, const char *repo_digest, int *updated);

// A blob's path relative to the root: "blobs/sha256/<hex>".
void blob_path(const char *digest, char out[96]);
int blob_exists(struct store *s, const char *digest, int64_t *size);
// Read a whole (small) blob, checking its digest.
int blob_read(struct store *s, const char *digest, size_t max, char **out, size_t *len);
// Store bytes as a blob (atomic); the digest is computed into out.
int blob_put(struct store *s, const void *p, size_t n, char out[72]);

// An image: its manifest and config, parsed, and its layers' ids.
struct image {
  char manifest_digest[72], config_digest[72];
  char *manifest_raw, *config_raw;
  size_t manifest_len, config_len;
  struct json *manifest, *config;
  size_t nlayers;
  char (*diff_ids)[72], (*chain_ids)[72];
};
int image_load(struct store *s, const char *manifest_digest, struct image *im);
void image_free(struct image *im);
// ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln)).
void chain_id(const char *parent, const char *diff_id, char out[72]);
int layer_exists(struct store *s, const char *chain);
int64_t layer_size(struct store *s, const char *chain);  // -1 if unknown

// ---- pulling images (lib/pull.c) ---------------------------------------

struct pull_opts {
  const char *platform;  // "os/arch[/variant]", NULL: this machine's
  int quiet;             // no progress, no status lines
  FILE *out;             // progress goes here; NULL: stdout
};
// Pull NAME into the store with Docker's progress lines; the stored
// manifest's digest goes to out_digest. 0, or -1 with applet.why.
int image_pull(const char *name, const struct pull_opts *o, char out_digest[72]);

// ---- containers on disk (lib/container.c) ------------------------------

struct container_state {
  const char *status;   // created running exited dead
  int pid, shim_pid, exit_code, oom_killed;
  const char *error;
  char started_at[40], finished_at[40];
  const char *ports;    // NetworkSettings.Ports (JSON) while running
  int restart_count;
  const char *network;  // the bridge address (JSON) while running
  int64_t since_ms;     // CLOCK_MONOTONIC at the start (the back-off's)
};
void container_new_id(char id[65]);
void container_new_name(char out[64]);
// Is the name (without "/") used? Its container's id goes to id_out.
int container_name_taken(struct store *s, const char *name, char id_out[65]);
// By name, full id or unique id prefix; -1 + Docker's message.
int container_find(struct store *s, const char *what, char id[65]);
char *container_path(struct store *s, const char *id, const char *file);
int container_save_state(struct store *s, const char *id, const struct container_state *st);
void container_state_json(const struct container_state *st, struct buf *b);  // state.json's text
int container_init_layer(struct store *st);  // <root>/init, made when missing

// A container as ps, stop, rm... see it: config.json parsed, state.json read.
struct container {
  char id[65], name[128], image[256], created[40];
  char status[16], started_at[40], finished_at[40], error[256];
  int pid, shim_pid, exit_code, oom_killed;
  int paused;  // running, but frozen (pause)
  int restart_count;
  int stale;   // recorded running, but its processes are gone (killed -9, reboot)
  struct json *config;
  struct json *state;  // state.json as recorded
};
int container_load(struct store *s, const char *id, struct container *c);
// container_find + container_load for applets looping over arguments: on
// failure the error is reported (exit status 1) and -1 returned.
int container_arg(struct store *s, const char *arg, char id[65], struct container *c);
void container_free(struct container *c);
struct strlist *container_ids(struct store *s);  // every id; strlist_free
int container_signal(struct container *c, int sig);  // -1 unless running
// "KILL", "SIGKILL", "9" → the number; -1 + "Invalid signal: x".
int signal_parse(const char *s);
// Wait until it is no longer running (or gone); -1 on timeout (ms, -1: none).
int container_wait_exit(struct store *s, struct container *c, int timeout_ms);
void container_stop(struct store *s, struct container *c, int sig, int secs);
// Its stop signal (Config.StopSignal, else SIGTERM) and timeout
// (Config.StopTimeout, else 10 s), each unless given (sig 0, secs -2).
void container_stop_defaults(const struct container *c, int *sig, int *secs);
// Lay a JSON object over config.json (objects merged), atomically.
int container_update_config(struct store *s, const char *id, const char *patch);

// ---- cgroups (lib/cgroup.c): v1, v2 and hybrid -------------------------

struct cg_limits {
  int64_t memory, memory_swap;  // bytes; swap: memory+swap, -1 unlimited
  int64_t pids;                 // > 0: the most tasks
  int64_t cpu_quota;            // µs per 100 ms period (--cpus 0.5: 50000)
  int64_t cpu_shares;
};
// The limits of a container's HostConfig.
void cg_limits_of(const struct json *host, struct cg_limits *lim);
// Make the container's cgroups, set the limits, move pid in.
int cgroup_setup(const char *id, const struct cg_limits *l, int pid);
void cgroup_remove(const char *id);
int cgroup_freeze(const char *id, int freeze);
int cgroup_frozen(const char *id);
int cgroup_oom_killed(const char *id);
// pause (freeze) or unpause each container argument, Docker's messages.
void containers_freeze(int freeze);
// Docker's RAMInBytes: "100m", "1g", "512k", "1024" (1024 multiples).
int64_t parse_ram(const char *s);
// "--cpus 1.5" → 1500000000 nano CPUs; -1 when malformed.
int64_t parse_nanocpus(const char *s);

// ---- creating and starting containers (lib/create.c, lib/start.c) ------

// What run and create are told; NULL/0 for "not given".
struct create_opts {
  const char *image;        // as the user wrote it (pulled when missing)
  char **argv;              // the command after the image
  int argc;
  const char *name, *workdir, *user, *hostname, *entrypoint, *network;
  struct strlist *env, *env_files;
  int tty, interactive, auto_remove, read_only, privileged;
  const char *memory, *memory_swap, *cpus;
  long long cpu_shares, pids_limit;
  struct strlist *publish;  // -p specs
  int publish_all;          // -P
  const char *restart;      // --restart policy
  struct strlist *volumes;  // -v specs
  struct strlist *add_hosts, *dns;  // --add-host HOST:IP, --dns IP
  const char *stop_signal;  // --stop-signal
  long long stop_timeout;   // --stop-timeout (-1: not given)
  struct strlist *cap_add, *cap_drop, *ulimits;
  int init;                 // --init: docker-init (ocibox) as its pid 1
};
// run's and create's options (the same option string after run's -d),
// expanded where each applet's FLAG/OPT macros hold.
#define CREATE_OPTS_FROM_FLAGS { \
    .image = applet.argv[0], .argv = applet.argv + 1, .argc = applet.argc - 1, \
    .name = OPTSTR(name), .workdir = OPTSTR(w), .user = OPTSTR(u), .hostname = OPTSTR(h), \
    .entrypoint = OPTSTR(entrypoint), .network = OPTSTR(network), .env = OPTLIST(e), \
    .env_files = OPTLIST(env_file), .tty = FLAG(t), .interactive = FLAG(i), \
    .auto_remove = FLAG(rm), .read_only = FLAG(read_only), .privileged = FLAG(privileged), \
    .memory = OPTSTR(m), .memory_swap = OPTSTR(memory_swap), .cpus = OPTSTR(cpus), \
    .cpu_shares = OPTNUM(c), .pids_limit = OPTNUM(pids_limit), \
    .publish = OPTLIST(p), .publish_all = FLAG(P), .restart = OPTSTR(restart), .volumes = OPTLIST(v), \
    .add_hosts = OPTLIST(add_host), .dns = OPTLIST(dns), .stop_signal = OPTSTR(stop_signal), \
    .stop_timeout = FLAG(stop_timeout) ? OPTNUM(stop_timeout) : -1, \
    .cap_add = OPTLIST(cap_add), .cap_drop = OPTLIST(cap_drop), .ulimits = OPTLIST(ulimit), \
    .init = FLAG(init), }
// Make the container (pulling the image if need be); its id goes to id.
// Ends the program with Docker's message on any error.
int xcontainer_create(const struct create_opts *o, char id[65]);
char *hosts_text(const char *hostname, const char *addr, const char *extra);
// Docker's checks of memory, memory-swap and cpus (exits with its message).
void xcheck_limits(const struct create_opts *o);
// Start it: detached (a supervisor of its own, 0 once it runs) or
// attached (we supervise: its exit status). -(125|126|127) with
// applet.why when it could not start.
// With status_fd (run -it): the supervisor waits for the terminal's first
// client and writes the first exit status to *status_fd's pipe.
int container_start(struct store *st, const char *id, int detach, int interactive, int *status_fd);
// Docker's sig-proxy: INT TERM HUP QUIT USR1 USR2 we get go to pid (0:
// the container supervise starts); -1: back to the defaults.
void sig_proxy(int pid);

// ---- restart policies (lib/policy.c) -----------------------------------

// --restart's value: name (no, always, unless-stopped, on-failure) and
// the retry limit; -1 + Docker's message.
int policy_parse(const char *s, char name[16], int *max);
int policy_mark_stopped(struct store *st, const char *id, int on);
int policy_stopped(struct store *st, const char *id);
int policy_should_restart(struct store *st, const char *id, int exit_code, int count);
int policy_backoff(struct store *st, const char *id, int *delay_ms, int64_t ran_ms);

// Docker's default seccomp refusals, for this process and its children.
int seccomp_apply(void);

// ---- volumes (lib/volumes.c) -------------------------------------------

struct volume {
  char *src;       // host path, volume name, or (parsed) NULL: anonymous
  char *dst;       // in the container, absolute
  int ro, named;
};
// -v "[SRC:]DST[:MODE]"; -1 + Docker's message.
int volume_parse(const char *spec, struct volume *v);
// The host path to mount (made when missing); NULL + why.
char *volume_source(struct store *st, const struct volume *v);
void volume_free(struct volume *v);
void volumes_drop_anonymous(struct store *st, const struct json *config);
void volumes_mounts_json(struct store *st, const struct json *config, struct jw *w);

// ---- the bridge network (lib/bridge.c) ---------------------------------

#include <netinet/in.h>
struct net_addr {
  struct in_addr ip, gw;
  int prefix;
};
// An address for the container from the leases (its supervisor holds it).
int net_lease(struct store *st, const char *id, const struct json *config, struct net_addr *na);
void net_release(struct store *st, const char *id);
int net_nat(void);  // 1 when iptables masquerades the bridge's subnet
// The bridge (made on first use) and a veth pair into pid's namespace.
int net_attach(const char *id, int pid, const struct net_addr *na);
// In the container: eth0 up with its address, the default route.
int net_configure(const struct net_addr *na);
// {"IPAddress":...,"IPPrefixLen":...,"Gateway":...,"MacAddress":...}
void net_state(const struct net_addr *na, struct buf *out);

// ---- json-file logs (lib/logger.c) -----------------------------------

// The supervisor's json-file logger (one process, as conmon):
// containers/<id>/container.log gets Docker's entries (rotated by
// daemon.json's log-opts max-size, max-file) for what fds 1 and 2, pipes
// from here on, carry; with tee it copies them to the old fds 1 and 2 too
// (attached runs). 0, or -1 + why.
struct log_file {
  const char *path;
  long long max_size, size;  // max_size 0: never rotated
  int max_file, fd;
};
struct logger {
  int on, out, err;  // out, err: the old fds 1 and 2 (/dev/null without tee)
  int fd[2], tee;    // the pipes' read ends
  struct log_file f;
  size_t n[2];             // the start of a line not yet ended, in line[i]
  char line[2][16384];     // (Docker's copier splits longer lines)
};
int logger_start(struct store *st, const char *id, int tee, struct logger *lg);
// Log until pid ends; its wait status. idle: the wait may be long.
int logger_wait(struct logger *lg, int pid, int idle);
// Fds 1 and 2 back as they were, what is left in the pipes logged.
void logger_stop(struct logger *lg);
struct log_opts {
  long long tail;                // the last N entries; -1: all
  struct timespec since, until;  // 0: not given
  int follow, timestamps, details;
};
// Show a container's log (rotated files too): stdout entries to fd 1,
// stderr entries to fd 2; with follow until it stops (c is reloaded).
void logs_show(struct store *st, struct container *c, const struct log_opts *o);

// ---- published ports (lib/ports.c, lib/proxy.c) ----------------------

struct port_binding {
  char ip[48];     // host address ("" at parse time: all of IPv4)
  int host, ctr;   // host port (0: any free one), the container's
  int udp, fd;     // fd: the bound host socket
};
// Docker's -p "[IP:][HOST[-END]:]CTR[-END][/tcp|udp]", appended to v.
int ports_parse(const char *spec, struct port_binding **v, size_t *n);
// Bind the host sockets of a container's config (PortBindings, and every
// exposed port with PublishAllPorts); state gets NetworkSettings.Ports.
int ports_bind(const struct json *config, const char *name, const char *id,
               struct port_binding **v, size_t *n, struct buf *state);
void ports_close(struct port_binding *v, size_t n);
// ps's PORTS column from NetworkSettings.Ports.
void ports_summary(const struct json *ports, struct buf *out);
// In the container's network namespace, serve the bindings. Never returns.
NORETURN void proxy_run(int netns, struct port_binding *b, size_t n);

// ---- running a container (lib/nsinit.c, lib/runtime.c) -----------------

struct run_spec {
  const char *dir;         // containers/<id>, absolute
  const char *layers_dir;  // the store's layers/, absolute
  char **lowers;           // "<chain hex>" top layer first
  size_t nlowers;
  char **argv, **env;      // NULL-terminated
  const char *cwd, *user, *hostname;
  int net_host, read_only, privileged;
  uint64_t caps;           // the capabilities it keeps (caps_of)
  const struct json *ulimits;  // HostConfig.Ulimits
  int init;                // exec docker-init (ourselves) with the command
  int scratch;             // --rm: its upper dir is never kept (a volatile overlay)
  struct net_addr *net;    // bridge: eth0's address (in addr); NULL: loopback only
  struct net_addr addr;
  struct volume *vols;     // src: the host path
  size_t nvols;
  int stdin_null;          // no -i: stdin is /dev/null, as in Docker
  int console_sock;        // -t: send the pty's master here, else -1
  unsigned short rows, cols;  // -t: the caller's window size, set before exec
  int err_fd, sync_fd;     // "CODE message" back to the parent; go-ahead
};
// Capabilities (lib/caps.c): --cap-add/--cap-drop names checked (what is
// CapAdd or CapDrop, for the message); the set HostConfig keeps.
int caps_check(const struct strlist *l, const char *what);
uint64_t caps_of(const struct json *host);
// --ulimit (lib/ulimits.c): NAME=SOFT[:HARD] checked as Docker does; the
// limits of HostConfig.Ulimits set in the calling process.
struct ulimit {
  const char *name;
  int resource;
  long long soft, hard;
};
int ulimit_parse(const char *s, struct ulimit *u);
int ulimits_apply(const struct json *list);
// In the new namespaces: build the root, drop privileges, exec. Never returns.
NORETURN void container_init(const struct run_spec *rs);
// The last part of it, also for exec: working dir, no_new_privs,
// capabilities, user, execve (err_fd gets "CODE message" on failure).
NORETURN void process_init(const struct run_spec *rs);
// clone() into new namespaces running container_init; the child waits
// for container_go(). Returns the pid or -1 + why.
struct spawn {
  int pid, err_rd, sync_wr;
};
int container_spawn(struct run_spec *rs, struct spawn *sp);
// Let the child go on, then wait for its exec: 0, or its exit code
// (125/126/127) with the reason in applet.why.
int container_go(struct spawn *sp);

// The container's terminal (lib/pty.c): made inside, master sent out.
int pty_child(int sock, unsigned short rows, unsigned short cols);  // slave fd, or -1 + why
// The caller's terminal size (0 0 when stdin is not one).
void pty_size(unsigned short *rows, unsigned short *cols);
int pty_receive(int sock);  // the master's fd, or -1 + why
// --detach-keys "ctrl-p,ctrl-q" → its bytes (their count, or -1 + why).
int detach_keys_parse(const char *s, char *keys, int max);
// Relay stdin → fd and fd → stdout (stdin raw when a terminal) until fd
// ends or the detach keys come (then 1); window size changes go to winsz
// (the master) unless -1.
int pty_relay(int fd, int winsz, int with_stdin, const char *keys, int nkeys);
// Detached: output to stdout (the log) and to attach clients, their input
// in; each client is sent the master first (for the window size). With
// wait_first, nothing is read before the first client (run -it's own).
// attach connects to the container's socket.
void pty_serve(int master, const char *id, int wait_first);
int pty_attach_connect(const char *id);

// ---- layer tars (lib/layer.c, lib/gunzip.c) ----------------------------

// A byte stream: read() returns the bytes read, 0 at the end, or -1 with
// the reason in applet.why.
struct reader {
  ssize_t (*read)(void *ctx, void *buf, size_t n);
  void *ctx;
};
struct reader reader_fd(int *fd);  // read(2) on *fd, EINTR retried

// Streaming gunzip of a layer blob (concatenated members allowed), or
// passthrough when the stream does not start with gzip's 1f 8b; zstd, xz
// and bzip2 are refused ("unsupported compression: zstd"). The raw input
// is added to `raw` and the output to `out` when non-NULL: the caller
// digest_init()s them first and digest_final()s them once the reader
// returned 0. Holds a 64 KiB input buffer and zlib's 32 KiB window.
struct gunzip;
int gunzip_open(struct gunzip **g, struct reader src, struct digest *raw,
                struct digest *out);
struct reader gunzip_reader(struct gunzip *g);
void gunzip_close(struct gunzip *g);  // NULL is fine

// Unpack one uncompressed layer tar into dirfd, an empty staging directory
// that becomes an overlayfs lower dir: whiteouts become 0/0 char devices
// and trusted.overlay.opaque (SPECS.md §5). Hostile names, links through
// symlinks and escapes fail with -1 and applet.why; the caller then
// removes the staging directory. src is read to its end either way when
// the tar itself was fine, so digests over it cover the whole stream.
struct layer_stats {
  uint64_t entries, bytes;  // tar entries seen, regular file bytes
  uint64_t tar;             // the tar's own bytes (docker cp's count)
};
int layer_unpack(struct reader src, int dirfd, struct layer_stats *st);
// The same for docker cp's archives: ".wh." names are plain files, and a
// directory never replaces a non-directory or the reverse (Docker's
// NoOverwriteDirNonDir).
struct unpack_opts {
  const char *from, *to;  // the top entry `from` renamed `to` (NULL: kept)
  int follow;             // parent dirs through symlinks (inside a chroot)
  int64_t uid, gid;       // every entry's owner; -1: the archive's
};
int tar_unpack(struct reader src, int dirfd, struct layer_stats *st, const struct unpack_opts *o);

// ---- images made here: load, import, commit (lib/imgwrite.c) -----------

struct layer_desc {
  char digest[72], diff_id[72], media_type[80];
  int64_t size;
};
// Unpack a layer stream (tar or tar.gz) into layers/<chain> unless there,
// refusing (before anything is renamed into place) a tar whose digest is
// not want_diff; the stream's and the tar's digests come back.
int layer_install(struct store *s, struct reader src, const char *chain, const char *want_diff,
                  char raw[72], char tar[72], uint64_t *bytes);
// A layer blob already in tmp/ (tmp_name relative to the root): checked
// against d->digest (if set) and diff_id, unpacked, renamed into blobs/.
int layer_from_blob(struct store *s, const char *tmp_name, const char *diff_id,
                    const char *parent_chain, struct layer_desc *d, char chain[72]);
// An uncompressed tar (a seekable fd): gzipped into a blob, unpacked; d
// gets digest, diff_id, size and media type.
int layer_from_tar(struct store *s, int tar_fd, const char *parent_chain, struct layer_desc *d,
                   char chain[72]);
// The config blob, an OCI manifest over the layers, and the name (NULL:
// a dangling image). The manifest's digest goes to manifest_digest.
int image_write(struct store *s, const char *config, size_t clen, const struct layer_desc *layers,
                size_t n, const char *name, char manifest_digest[72]);

// Write the tree under dirfd as a tar (pax) to out_fd, names sorted; with
// docker_whiteouts, overlay's whiteouts and opaque dirs become Docker's.
int tar_tree(int dirfd, int out_fd, int docker_whiteouts);
// One entry, dirfd/name (with all below a directory), named `as` (docker cp).
int tar_path(int dirfd, const char *name, const char *as, int out_fd);

// Write key: an image config's "config" object (base, or NULL) with
// Dockerfile instructions applied, as import -c and commit -c take them
// (lib/changes.c). -1 + why, and nothing written, if one is invalid.
int config_changes(struct jw *w, const char *key, const struct json *base,
                   const struct strlist *changes);

// ---- Docker's human formats (lib/fmt.c) --------------------------------

// go-units HumanSizeWithPrecision(n, 3): "0B", "13.3kB", "143MB", "1.99GB".
char *fmt_size(char out[24], uint64_t bytes);
// go-units HumanDuration: "Less than a second", "About a minute", ...
char *fmt_duration(char out[40], int64_t nanoseconds);
// RFC 3339 with nanoseconds, UTC, Go's RFC3339Nano (trailing zeros cut).
char *fmt_rfc3339nano(char out[40], const struct timespec *t);
char *fmt_gotime(char out[64], time_t t);  // "2026-11-23 12:00:00 +0000 UTC"
// Parse RFC 3339 (Z or +hh:mm offsets, optional fraction). 0 or -1.
int parse_rfc3339(const char *s, struct timespec *t);

// ---- ocibox configuration (lib/config.c): daemon.json ------------------

struct ocibox_config {
  char *data_root;
  struct strlist *registry_mirrors;
  struct strlist *insecure_registries;
  int max_downloads;     // layers pulled at a time; 0: Docker's default, 3
  struct json *tree;     // the whole parsed file (NULL when absent)
};
// Load the config file (applet.config_path, default /etc/ocibox/daemon.json)
// once into applet.conf; a malformed file ends the program with
// "ocibox: config: PATH: line L: why" and exit 1.
struct ocibox_config *config_load(void);

// ---- what the running kernel offers (lib/sysinfo.c) --------------------

enum cgroup_mode { CGROUP_NONE, CGROUP_V1, CGROUP_V2, CGROUP_HYBRID };
struct cgroup_layout {
  enum cgroup_mode mode;
  const char *v2_mount;   // the cgroup2 mount, if any
  struct buf v1, v2;      // controllers, space separated
};
void sysinfo_cgroups(struct cgroup_layout *cg);
// Is /sys/fs/cgroup a cgroup2 mount (unified)? One statfs.
int sysinfo_cgroup_v2(void);
int sysinfo_overlay(void);
int sysinfo_userns(void);
int sysinfo_seccomp(void);


// ---- Go text/template subset for --format and -f (lib/template.c) -----

struct tpl;
// Parse a template; NULL with a Docker-like message in applet.why.
struct tpl *tpl_parse(const char *text);
// Run it with dot = v, appending to out; -1 with applet.why on error.
int tpl_exec(const struct tpl *t, const struct json *v, struct buf *out);
void tpl_free(struct tpl *t);
// --format over rows (JSON objects, one a line): "json", a template, or
// "table TEMPLATE" with header (a JSON object of column titles) first.
void format_rows(const char *format, const char *header, const char *rows);

// ---- tables like Go's text/tabwriter in Docker's CLI (lib/table.c) -----

// Cells are separated by '\t', rows by '\n'. Columns are padded to
// max(10, widest cell + 3) display columns; the last is not padded.
void table_flush(const char *text, FILE *out);
void table_flush_min(const char *text, FILE *out, int minwidth);  // top: 20

// ---- images as Docker shows them (lib/images.c) -------------------------

// One image: the index entries whose manifests share a config. Its ID is
// the config's digest, as in Docker's classic store.
struct img_info {
  char id[72];              // "sha256:<config hex>"; the manifest's when broken
  struct image im;          // the first entry's manifest and config
  size_t *ents, nents;      // its entries' positions in the index
  int64_t size;             // unpacked layers, bytes
  struct timespec created;  // the config's "created"; 0 when absent
  char *broken;             // why the manifest or config is unreadable, or NULL
};
struct img_list {
  struct img_info *v;
  size_t n;
};
// Group ix's entries into images, loading each manifest and config once.
void images_load(struct store *s, const struct index *ix, struct img_list *l);
void images_free(struct img_list *l);

// A reference to an image, as Docker's reference store holds them.
struct img_ref {
  char full[704];           // "docker.io/library/busybox:latest" or "...@sha256:..."
  char repo[520];           // familiar repository: "busybox", "localhost:5000/a/b"
  char tag[129];            // "" for a digest reference
  char digest[80];          // "" for a tag reference
  size_t ent;               // the index entry it comes from
};
// m's references: its entries' names, and repo@digest for a tagged entry
// with a repo digest; deduplicated, sorted by full name like Docker's.
// Returns how many; free(*out).
size_t img_refs(const struct index *ix, const struct img_info *m, struct img_ref **out);
// The image an argument names, like Docker's GetImage: an ID (sha256:hex
// or 64 hex), a name (":latest" added) or name@digest, or a unique prefix
// of an ID. Its position in l, and in *ent the entry a name matched (else
// the image's first); or -ENOENT with "No such image: x:latest", or
// -EINVAL with the reference's format error, in applet.why.
int img_resolve(const struct img_list *l, const struct index *ix, const char *arg, size_t *ent);
// After index.json dropped an image: remove its blobs and unpacked layers
// that no image and no container uses, only when store_gc() gets gc.lock
// (else they stay, unreferenced, and 0). removed()
// gets each layer removed, top first. 0, or -1 with applet.why.
int img_remove_unused(struct store *s, const struct image *gone, void (*removed)(const char *chain));
// Docker's filter times: a duration back from now ("24h"), RFC 3339, a
// zone-less date[-time] (read as UTC), or Unix seconds. 0, or -1 + why.
int parse_timestamp(const char *s, struct timespec *out);
// Remove entry i of the index, keeping the others' order.
void index_drop(struct index *ix, size_t i);

#endif
