// export.c: docker export: a container's filesystem as it sees it (the
// image's layers and its own changes merged, no whiteouts) as one tar.
//
//applet:export "<1 >1 o(output):"
//config:config EXPORT
//config:	bool "export: a container's filesystem as a tar archive"
//config:	default y
//config:	depends on ARCHIVE && RUN
//config:	help
//config:	  usage: export [-o FILE] CONTAINER
//config:
//config:	  Export a container's filesystem as a tar archive (to STDOUT
//config:	  unless -o is given), running or stopped.
//config:
//config:	  -o, --output FILE   Write to a file, instead of STDOUT

#define FOR_export
#include "ocibox.h"
#include "generated/flags.h"
#include <sched.h>
#include <sys/mount.h>

// Add containers/<id>/sub as a lower dir if the container has it.
static void lower_if(struct store *st, struct buf *o, const char *id, const char *sub)
{
  char p[96];

  snprintf(p, sizeof(p), "containers/%s/%s", id, sub);
  if (exists_at(st->fd, p)) buf_printf(o, ":../%s", p);
}

void export_main(void)
{
  struct store st;
  struct container c;
  struct buf o = {0};
  char id[65], *tmp = 0, *mnt;
  int out = 1, fd, rc = 0;

  if (!FLAG(o) && isatty(1))
    error_exit("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  if (store_open(&st, STORE_USE) < 0) error_exit("%s", applet.why);
  if (container_find(&st, applet.argv[0], id) < 0 || container_load(&st, id, &c) < 0)
    error_exit("%s", applet.why);

  // A read-only overlay with the upper dir as the top lower dir: a running
  // container keeps its upper and work dirs (overlay takes a workdir once).
  // Lower dirs relative to layers/, as nsinit.c does, to fit in a page; the
  // init layer (mount points, hosts files) shows as in Docker's export.
  struct json *l = json_get(c.config, "Layers");
  buf_printf(&o, "index=off,lowerdir=../containers/%s/upper", id);
  if (exists_at(st.fd, "init")) buf_adds(&o, ":../init");
  for (l = l ? l->child : 0; l; l = l->next) {
    if (l->type != JSON_STRING || !digest_valid(l->str)) error_exit("container %s: bad Layers", id);
    buf_printf(&o, ":%s/diff", l->str + 7);
  }
  // Containers of old had an empty dir where there was no layer.
  lower_if(&st, &o, id, "empty");
  if (o.len >= 4096) error_exit("too many layers for one overlay mount");

  // Our own mount namespace: the mount goes away with us, whatever happens.
  mnt = xmprintf("%s/tmp/%d-export", st.root, (int)getpid());
  if (unshare(CLONE_NEWNS) || mount(0, "/", 0, MS_REC | MS_PRIVATE, 0)) perror_exit("unshare");
  if (mkdir(mnt, 0700)) perror_exit("mkdir %s", mnt);
  // By name: fds opened before unshare() are mounts of the old namespace,
  // which overlay cannot use as layers.
  int cwd = xopen(".", O_PATH | O_CLOEXEC);
  char *layers = xmprintf("%s/layers", st.root);
  if (chdir(layers)) perror_exit("%s", layers);
  free(layers);
  if (mount("overlay", mnt, "overlay", MS_RDONLY, o.s)) rc = fail(errno, "mount overlay: %s", strerror(errno));
  if (fchdir(cwd)) perror_exit("fchdir");
  close(cwd);
  if (!rc) {
    // Like Docker's CLI, -o goes to a temp file beside FILE, renamed when whole.
    if (FLAG(o)) {
      char *slash = strrchr(OPTSTR(o), '/');
      tmp = slash ? xmprintf("%.*s/.ocibox-export-XXXXXX", (int)(slash - OPTSTR(o)), OPTSTR(o))
                  : xstrdup(".ocibox-export-XXXXXX");
      if ((out = mkostemp(tmp, O_CLOEXEC)) < 0) rc = fail(errno, "%s: %s", OPTSTR(o), strerror(errno));
    }
    if (!rc) {
      fd = xopen(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      rc = tar_tree(fd, out, 0);
      close(fd);
    }
    umount2(mnt, MNT_DETACH);
  }
  rmdir(mnt);
  if (!rc && tmp && (fsync(out) || rename(tmp, OPTSTR(o))))
    rc = fail(errno, "%s: %s", OPTSTR(o), strerror(errno));
  if (rc && out > 1) unlink(tmp);
  if (rc) error_exit("%s", applet.why);
  buf_free(&o);
  free(mnt);
  free(tmp);
  container_free(&c);
  store_close(&st);
}
