// create.c: a container on disk from an image and Docker's run/create
// options: containers/<id>/ with config.json (Docker's container JSON),
// state.json, the init layer (mount points, hosts files), upper and work.
// The dir is built in tmp/ and renamed into place under containers.lock,
// so a name is never taken twice and no half container is ever seen.
#include "ocibox.h"
#include <arpa/inet.h>
#include <sys/file.h>

// The image by name (normalised) or by image ID (prefix); pulls a missing
// name like Docker does.
static void find_image(struct store *st, const char *arg, struct image *im)
{
  struct index ix;
  struct ref r;
  struct buf full = {0};
  const char *digest = 0;
  size_t n = strlen(arg);

  if (index_load(st, &ix) < 0) error_exit("%s", applet.why);
  if (!ref_parse(arg, &r)) {
    ref_full(&r, &full);
    struct index_entry *e = index_find(&ix, full.s);
    if (e) digest = e->digest;
  }
  if (!digest && n >= 4 && is_image_id(arg) + (strspn(arg, "0123456789abcdef") == n)) {
    for (size_t i = 0; i < ix.n && !digest; i++) {
      struct image cand;
      if (image_load(st, ix.e[i].digest, &cand) < 0) continue;
      if (!strncmp(cand.config_digest + 7, arg + (strncmp(arg, "sha256:", 7) ? 0 : 7), n)) digest = ix.e[i].digest;
      image_free(&cand);
    }
  }
  if (!digest) {
    char d[72];
    struct pull_opts o = {.out = stderr};
    if (!CFG_PULL) error_exit("Unable to find image '%s' locally", arg);
    if (ref_parse(arg, &r) < 0) error_exit("%s", applet.why);
    buf_free(&full);
    ref_familiar(&r, &full);
    fprintf(stderr, "Unable to find image '%s' locally\n", full.s);
    if (image_pull(full.s, &o, d) < 0) error_exit("%s", applet.why);
    index_free(&ix);
    buf_free(&full);
    if (image_load(st, d, im) < 0) error_exit("%s", applet.why);
    return;
  }
  if (image_load(st, digest, im) < 0) error_exit("%s", applet.why);
  index_free(&ix);
  buf_free(&full);
}

static void strv_add(char ***v, size_t *n, const char *s)
{
  *v = xrealloc(*v, (*n + 2) * sizeof(**v));
  (*v)[(*n)++] = xstrdup(s);
  (*v)[*n] = 0;
}

// Set NAME=VALUE in env, replacing an earlier NAME.
static void env_set(char ***env, size_t *n, const char *kv)
{
  size_t k = strcspn(kv, "=");

  for (size_t i = 0; i < *n; i++)
    if (!strncmp((*env)[i], kv, k) && (*env)[i][k] == '=') {
      free((*env)[i]);
      (*env)[i] = xstrdup(kv);
      return;
    }
  strv_add(env, n, kv);
}

// -e NAME=VALUE, or -e NAME to pass the caller's value (dropped if unset).
static void env_arg(char ***env, size_t *n, const char *arg)
{
  if (strchr(arg, '=')) env_set(env, n, arg);
  else if (getenv(arg)) {
    char *kv = xmprintf("%s=%s", arg, getenv(arg));
    env_set(env, n, kv);
    free(kv);
  }
}

static void env_file(char ***env, size_t *n, const char *path)
{
  size_t len;
  char *text = xreadfile(path, 1 << 20, &len), *save;

  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(0, "\n", &save)) {
    line[strcspn(line, "\r")] = 0;
    while (*line == ' ' || *line == '\t') line++;
    if (!*line || *line == '#') continue;
    env_arg(env, n, line);
  }
  free(text);
}

static void json_strv(const struct json *arr, char ***v, size_t *n)
{
  for (struct json *e = arr && arr->type == JSON_ARRAY ? arr->child : 0; e; e = e->next)
    if (e->type == JSON_STRING) strv_add(v, n, e->str);
}

// (into the staging dir: one syncfs makes it all durable before the rename)
static void write_file(const char *dir, const char *name, const char *text)
{
  char *p = xmprintf("%s/%s", dir, name);
  int fd = xopen(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  xwriteall(fd, text, strlen(text));
  close(fd);
  free(p);
}

// The container's resolv.conf: the host's, without loopback resolvers it
// could not reach from its own network namespace.
static char *resolv_conf(int host_net, const struct strlist *dns)
{
  char *text = 0;
  size_t len;
  struct buf b = {0};

  // --dns: these servers instead of the host's (search and options kept)
  for (; dns; dns = dns->next) buf_printf(&b, "nameserver %s\n", dns->s);
  readfile_at(AT_FDCWD, "/etc/resolv.conf", 1 << 16, &text, &len);
  for (char *line = text, *nl; line && *line; line = nl) {
    nl = strchrnul(line, '\n');
    if (*nl) nl++;
    const char *ns = line + 10 + strspn(line + 10, " \t");
    if (!strncmp(line, "nameserver", 10) &&
        (b.len || (!host_net && (!strncmp(ns, "127.", 4) || !strncmp(ns, "::1", 3)))))
      continue;
    buf_add(&b, line, nl - line);
  }
  free(text);
  return b.s ? buf_steal(&b) : xstrdup("");
}

// PortBindings: {"80/tcp":[{"HostIp":"","HostPort":"8080"}],...}, one
// key per container port; given the image's ExposedPorts, those and the
// published keys as Config.ExposedPorts instead.
static void write_ports(struct jw *w, const struct port_binding *pb, size_t n, const struct json *img)
{
  char key[16], hp[8];
  if (!img) {
    jw_obj(w, "PortBindings");
    for (size_t i = 0; i < n; i++) {
      size_t k = 0;
      while (k < i && (pb[k].ctr != pb[i].ctr || pb[k].udp != pb[i].udp)) k++;
      if (k < i) continue;  // its key is written already
      snprintf(key, sizeof(key), "%d/%s", pb[i].ctr, pb[i].udp ? "udp" : "tcp");
      jw_arr(w, key);
      for (k = i; k < n; k++) {
        if (pb[k].ctr != pb[i].ctr || pb[k].udp != pb[i].udp) continue;
        snprintf(hp, sizeof(hp), "%.0d", pb[k].host);
        jw_obj(w, 0);
        jw_str(w, "HostIp", pb[k].ip);
        jw_str(w, "HostPort", hp);
        jw_end(w);
      }
      jw_end(w);
    }
    jw_end(w);
    return;
  }
  jw_obj(w, "ExposedPorts");
  for (struct json *e = img->type == JSON_OBJECT ? img->child : 0; e; e = e->next) {
    size_t k = 0;
    for (; k < n; k++) {
      snprintf(key, sizeof(key), "%d/%s", pb[k].ctr, pb[k].udp ? "udp" : "tcp");
      if (!strcmp(key, e->key)) break;
    }
    if (k == n) jw_obj(w, e->key), jw_end(w);
  }
  for (size_t i = 0; i < n; i++) {
    size_t k = 0;
    while (k < i && (pb[k].ctr != pb[i].ctr || pb[k].udp != pb[i].udp)) k++;
    if (k < i) continue;
    snprintf(key, sizeof(key), "%d/%s", pb[i].ctr, pb[i].udp ? "udp" : "tcp");
    jw_obj(w, key);
    jw_end(w);
  }
  jw_end(w);
}

// A list option as Docker keeps it: an array, or null when not given.
static void write_list(struct jw *w, const char *key, const struct strlist *l)
{
  if (!l) {
    jw_null(w, key);
    return;
  }
  jw_arr(w, key);
  for (; l; l = l->next) jw_str(w, 0, l->s);
  jw_end(w);
}

static void write_config(const struct create_opts *o, const char *dir, const char *id,
                         const char *name, const struct image *im, char **argv, size_t nentry,
                         char **env, const char *created, const char *hostname,
                         const struct port_binding *pb, size_t npb, const char *policy, int retries,
                         const char *binds)
{
  struct buf b = {0};
  struct jw w;
  struct json *cfg = json_get(im->config, "config");

  jw_init(&w, &b, 0);
  jw_obj(&w, 0);
  jw_str(&w, "Id", id);
  jw_str(&w, "Created", created);
  jw_str(&w, "Path", argv[0]);
  jw_arr(&w, "Args");
  for (char **a = argv + 1; *a; a++) jw_str(&w, 0, *a);
  jw_end(&w);
  jw_str(&w, "Image", im->config_digest);
  jw_str(&w, "ManifestDigest", im->manifest_digest);
  jw_arr(&w, "Layers");
  for (size_t i = im->nlayers; i-- > 0;) jw_str(&w, 0, im->chain_ids[i]);
  jw_end(&w);
  char *slash_name = xmprintf("/%s", name);
  jw_str(&w, "Name", slash_name);
  free(slash_name);
  jw_obj(&w, "HostConfig");
  const char *net = o->network && strcmp(o->network, "default") ? o->network : CFG_BRIDGE ? "bridge" : "none";
  jw_str(&w, "NetworkMode", net);
  if (CFG_PUBLISH) {
    write_ports(&w, pb, npb, 0);
    jw_bool(&w, "PublishAllPorts", o->publish_all);
  }
  jw_arr(&w, "Binds");
  for (const char *b = binds, *nl; b && *b; b = nl) {
    nl = strchrnul(b, '\n');
    jw_strn(&w, 0, b, nl - b);
    if (*nl) nl++;
  }
  jw_end(&w);
  write_list(&w, "ExtraHosts", o->add_hosts);
  jw_arr(&w, "Dns");
  for (struct strlist *l = o->dns; l; l = l->next) jw_str(&w, 0, l->s);
  jw_end(&w);
  jw_obj(&w, "RestartPolicy");
  jw_str(&w, "Name", policy);
  jw_int(&w, "MaximumRetryCount", retries);
  jw_end(&w);
  jw_bool(&w, "AutoRemove", o->auto_remove);
  jw_bool(&w, "Privileged", o->privileged);
  write_list(&w, "CapAdd", o->cap_add);
  write_list(&w, "CapDrop", o->cap_drop);
  if (CFG_ULIMITS && o->ulimits) {
    jw_arr(&w, "Ulimits");
    for (struct strlist *l = o->ulimits; l; l = l->next) {
      struct ulimit u;
      ulimit_parse(l->s, &u);  // (checked before)
      jw_obj(&w, 0);
      jw_str(&w, "Name", u.name);
      jw_int(&w, "Hard", u.hard);
      jw_int(&w, "Soft", u.soft);
      jw_end(&w);
    }
    jw_end(&w);
  } else jw_null(&w, "Ulimits");
  if (o->init) jw_bool(&w, "Init", 1);
  else jw_null(&w, "Init");
  jw_bool(&w, "ReadonlyRootfs", o->read_only);
  jw_int(&w, "Memory", o->memory ? parse_ram(o->memory) : 0);
  jw_int(&w, "MemorySwap", o->memory_swap ? (!strcmp(o->memory_swap, "-1") ? -1 : parse_ram(o->memory_swap)) : 0);
  jw_int(&w, "NanoCpus", o->cpus ? parse_nanocpus(o->cpus) : 0);
  jw_int(&w, "CpuShares", o->cpu_shares);
  if (o->pids_limit) jw_int(&w, "PidsLimit", o->pids_limit);
  else jw_null(&w, "PidsLimit");
  jw_end(&w);
  jw_obj(&w, "Config");
  jw_str(&w, "Hostname", hostname);
  jw_str(&w, "User", o->user ? o->user : json_get_str(cfg, "User") ? json_get_str(cfg, "User") : "");
  jw_bool(&w, "Tty", o->tty);
  jw_bool(&w, "OpenStdin", o->interactive);
  jw_arr(&w, "Env");
  for (char **e = env; *e; e++) jw_str(&w, 0, *e);
  jw_end(&w);
  // Docker's container Config keeps the two apart (commit needs them)
  if (argv[nentry]) {
    jw_arr(&w, "Cmd");
    for (char **a = argv + nentry; *a; a++) jw_str(&w, 0, *a);
    jw_end(&w);
  } else jw_null(&w, "Cmd");
  if (nentry) {
    jw_arr(&w, "Entrypoint");
    for (size_t i = 0; i < nentry; i++) jw_str(&w, 0, argv[i]);
    jw_end(&w);
  } else jw_null(&w, "Entrypoint");
  if (CFG_PUBLISH) {
    struct json *img = json_get(cfg, "ExposedPorts");
    if (img || npb) write_ports(&w, pb, npb, img ? img : &(struct json){.type = JSON_NULL});
  }
  const char *ss = o->stop_signal ? o->stop_signal : json_get_str(cfg, "StopSignal");
  if (ss) jw_str(&w, "StopSignal", ss);
  if (o->stop_timeout >= 0) jw_int(&w, "StopTimeout", o->stop_timeout);
  jw_str(&w, "Image", o->image);
  jw_str(&w, "WorkingDir", o->workdir ? o->workdir : json_get_str(cfg, "WorkingDir") ? json_get_str(cfg, "WorkingDir") : "");
  jw_end(&w);
  jw_end(&w);
  buf_addc(&b, '\n');
  write_file(dir, "config.json", b.s);
  buf_free(&b);
}

// /etc/hosts: Docker's lines, --add-host's "HOST:IP" (extra, one a line),
// the container's name on addr.
char *hosts_text(const char *hostname, const char *addr, const char *extra)
{
  struct buf b = {0};
  buf_adds(&b, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
               "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
               "ff02::2\tip6-allrouters\n");
  for (const char *l = extra, *nl; l && *l; l = nl + !!*nl) {
    nl = strchrnul(l, '\n');
    const char *c = memchr(l, ':', nl - l);
    if (c) buf_printf(&b, "%.*s\t%.*s\n", (int)(nl - c - 1), c + 1, (int)(c - l), l);
  }
  buf_printf(&b, "%s\t%s\n", addr, hostname);
  return buf_steal(&b);
}

// Docker's checks of the resource options, before anything is made.
void xcheck_limits(const struct create_opts *o)
{
  if (o->memory && (parse_ram(o->memory) < 0))
    error_exit("invalid argument \"%s\" for \"-m, --memory\" flag: invalid size: '%s'", o->memory, o->memory);
  if (o->memory && parse_ram(o->memory) < 6 << 20)
    error_exit("Minimum memory limit allowed is 6MB");
  if (o->memory_swap && strcmp(o->memory_swap, "-1") && parse_ram(o->memory_swap) < 0)
    error_exit("invalid argument \"%s\" for \"--memory-swap\" flag: invalid size: '%s'", o->memory_swap, o->memory_swap);
  if (o->memory_swap && !o->memory) error_exit("You should always set the Memory limit when using Memoryswap limit, see usage.");
  if (o->memory_swap && strcmp(o->memory_swap, "-1") && parse_ram(o->memory_swap) < parse_ram(o->memory))
    error_exit("Minimum memoryswap limit should be larger than memory limit, see usage.");
  if (o->cpus && parse_nanocpus(o->cpus) < 0)
    error_exit("invalid argument \"%s\" for \"--cpus\" flag: failed to parse %s as a rational number", o->cpus, o->cpus);
}

int xcontainer_create(const struct create_opts *o, char id[65])
{
  struct store st;
  struct image im;
  char name[64], created[40], *dir, *stage, **argv = 0, **env = 0;
  size_t argc = 0, envc = 0;
  struct json *cfg;
  const char *net = o->network;
  struct timespec now;

  if (net && strcmp(net, "none") && strcmp(net, "host") &&
      (!CFG_BRIDGE || (strcmp(net, "bridge") && strcmp(net, "default"))))
    error_exit("network %s not found", net);
  xcheck_limits(o);
  if (o->stop_signal && signal_parse(o->stop_signal) < 0) error_exit("%s", applet.why);
  if (o->init && !CFG_DOCKER_INIT) error_exit("--init needs a build with CONFIG_DOCKER_INIT");
  if (caps_check(o->cap_add, "CapAdd") < 0 || caps_check(o->cap_drop, "CapDrop") < 0)
    error_exit("%s", applet.why);
  if (o->ulimits && !CFG_ULIMITS) error_exit("--ulimit needs a build with CONFIG_ULIMITS");
  for (struct strlist *l = CFG_ULIMITS ? o->ulimits : 0; l; l = l->next) {
    struct ulimit u;
    if (ulimit_parse(l->s, &u) < 0)
      error_exit("invalid argument \"%s\" for \"--ulimit\" flag: %s", l->s, applet.why);
  }
  struct buf extra = {0};
  if ((o->add_hosts || o->dns) && !CFG_BRIDGE) error_exit("--add-host and --dns need a build with CONFIG_BRIDGE");
  for (struct strlist *l = CFG_BRIDGE ? o->add_hosts : 0; l; l = l->next) {
    const char *c = strchr(l->s, ':');
    unsigned char a[16];
    if (!c || c == l->s || (inet_pton(AF_INET, c + 1, a) != 1 && inet_pton(AF_INET6, c + 1, a) != 1))
      error_exit("invalid argument \"%s\" for \"--add-host\" flag: bad format for add-host: \"%s\"", l->s, l->s);
    buf_printf(&extra, "%s\n", l->s);
  }
  char policy[16] = "no";
  int retries = 0;
  if (o->restart && (CFG_RESTART_POLICIES ? policy_parse(o->restart, policy, &retries) < 0
                                 : strcmp(o->restart, "no") && fail(ENOTSUP, "--restart needs a build with CONFIG_RESTART_POLICIES")))
    error_exit("%s", applet.why);
  if (o->auto_remove && strcmp(policy, "no")) error_exit("Conflicting options: --restart and --rm");
  if (o->name) {
    const char *n = o->name;
    if (!*n || strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(n) ||
        !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", *n))
      error_exit("Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", n);
  }
  struct buf binds = {0};
  if (o->volumes && !CFG_VOLUMES) error_exit("-v needs a build with CONFIG_VOLUMES");
  for (struct strlist *l = CFG_VOLUMES ? o->volumes : 0; l; l = l->next) {
    struct volume v;
    char hex[65];
    if (volume_parse(l->s, &v) < 0) error_exit("%s", applet.why);
    if (!v.src) {
      container_new_id(hex);
      v.src = xstrdup(hex);
    }
    buf_printf(&binds, "%s%s:%s%s", binds.len ? "\n" : "", v.src, v.dst, v.ro ? ":ro" : "");
    volume_free(&v);
  }
  struct port_binding *pb = 0;
  size_t npb = 0;
  for (struct strlist *l = CFG_PUBLISH ? o->publish : 0; l; l = l->next)
    if (ports_parse(l->s, &pb, &npb) < 0) error_exit("%s", applet.why);
  if ((npb || o->publish_all) && net && !strcmp(net, "host")) {
    fputs("WARNING: Published ports are discarded when using host network mode\n", stderr);
    npb = 0;
  }
  if (store_open(&st, STORE_USE) < 0) error_exit("%s", applet.why);
  find_image(&st, o->image, &im);
  cfg = json_get(im.config, "config");

  // Entrypoint + Cmd with Docker's rules: --entrypoint resets the image's
  // Cmd; a command after the image replaces Cmd.
  if (o->entrypoint) {
    if (*o->entrypoint) strv_add(&argv, &argc, o->entrypoint);
  } else json_strv(json_get(cfg, "Entrypoint"), &argv, &argc);
  size_t nentry = argc;
  if (o->argc)
    for (int i = 0; i < o->argc; i++) strv_add(&argv, &argc, o->argv[i]);
  else if (!o->entrypoint) json_strv(json_get(cfg, "Cmd"), &argv, &argc);
  if (!argc) error_exit("no command specified");

  container_new_id(id);
  char hostname[65];
  snprintf(hostname, sizeof(hostname), "%s", o->hostname ? o->hostname : id);
  if (!o->hostname) hostname[12] = 0;
  env_set(&env, &envc, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (struct json *e = json_get(cfg, "Env") ? json_get(cfg, "Env")->child : 0; e; e = e->next)
    if (e->type == JSON_STRING) env_set(&env, &envc, e->str);
  for (struct strlist *l = o->env_files; l; l = l->next) env_file(&env, &envc, l->s);
  for (struct strlist *l = o->env; l; l = l->next) env_arg(&env, &envc, l->s);
  if (o->tty) {
    int has_term = 0;
    for (size_t i = 0; i < envc; i++) has_term |= !strncmp(env[i], "TERM=", 5);
    if (!has_term) env_set(&env, &envc, "TERM=xterm");
  }
  char *hn = xmprintf("HOSTNAME=%s", hostname);
  env_set(&env, &envc, hn);
  free(hn);
  int has_home = 0;
  for (size_t i = 0; i < envc; i++) has_home |= !strncmp(env[i], "HOME=", 5);
  if (!has_home) env_set(&env, &envc, "HOME=/root");

  // The container dir is built in tmp/ and renamed into place under the
  // names lock, so a name is never taken twice and no half dir shows.
  mkdirat(st.fd, "containers", 0700);
  stage = xmprintf("%s/tmp/%d-ctr-%s", st.root, (int)getpid(), id);
  dir = container_path(&st, id, 0);
  const char *subdirs[] = {"", "/upper", "/work", "/rootfs"};
  if (container_init_layer(&st) < 0) error_exit("%s", applet.why);
  for (size_t i = 0; i < ARRAY_LEN(subdirs); i++) {
    char *p = xmprintf("%s%s", stage, subdirs[i]);
    // upper's mode becomes the root's mode in the container
    if (mkdir(p, i ? 0755 : 0700)) perror_exit("mkdir %s", p);
    free(p);
  }
  clock_gettime(CLOCK_REALTIME, &now);
  fmt_rfc3339nano(created, &now);
  char *hosts = hosts_text(hostname, "127.0.1.1", extra.s);
  write_file(stage, "hosts", hosts);
  free(hosts);
  char *hfile = xmprintf("%s\n", hostname);
  write_file(stage, "hostname", hfile);
  free(hfile);
  char *resolv = resolv_conf(net && !strcmp(net, "host"), CFG_BRIDGE ? o->dns : 0);
  write_file(stage, "resolv.conf", resolv);
  free(resolv);

  int lock = openat(st.fd, "containers.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || flock(lock, LOCK_EX)) perror_exit("containers.lock");
  char other[65];
  if (o->name) {
    snprintf(name, sizeof(name), "%s", o->name);
    if (container_name_taken(&st, name, other)) {
      rm_rf(stage);
      error_exit("Conflict. The container name \"/%s\" is already in use by container \"%s\". "
                 "You have to remove (or rename) that container to be able to reuse that name.", name, other);
    }
  } else
    do container_new_name(name);
    while (container_name_taken(&st, name, other));
  write_config(o, stage, id, name, &im, argv, nentry, env, created, hostname, pb, npb, policy, retries, binds.s);
  buf_free(&binds);
  buf_free(&extra);
  free(pb);
  struct container_state cs = {.status = "created", .error = ""};
  struct buf state = {0};
  container_state_json(&cs, &state);
  write_file(stage, "state.json", state.s);
  buf_free(&state);
  if (syncfs(st.fd) || rename(stage, dir) || fsync_dir_at(st.fd, "containers")) perror_exit("rename %s", dir);
  close(lock);
  store_close(&st);
  image_free(&im);
  return 0;
}
