// diff.c: docker diff: what a container changed in its image, from the
// overlay's upper dir: "A" added, "C" changed, "D" deleted, sorted by path.
//
//applet:diff "<1 >1"
//config:config DIFF
//config:	bool "diff: show a container's filesystem changes"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: diff CONTAINER
//config:
//config:	  List the files and directories changed in a container's
//config:	  filesystem since it was created: A added, C changed, D deleted.

#define FOR_diff
#include "ocibox.h"
#include "generated/flags.h"
#include <dirent.h>

struct diffctx {
  int *lowers;   // the image's layer dirs, top first
  size_t n;
  struct buf out;
};

// Did the image have this path? The topmost layer that knows decides: a
// whiteout there means no.
static int in_image(struct diffctx *d, const char *path)
{
  struct stat st;

  for (size_t i = 0; i < d->n; i++)
    if (!fstatat(d->lowers[i], path + 1, &st, AT_SYMLINK_NOFOLLOW))
      return !(S_ISCHR(st.st_mode) && !st.st_rdev);
  return 0;
}

static int cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(struct diffctx *d, int dirfd, const char *prefix)
{
  DIR *dir = fdopendir(dirfd);
  struct dirent *de;
  char **names = 0;
  size_t n = 0;

  if (!dir) perror_exit("%s", prefix);
  while ((de = readdir(dir)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
      names = xrealloc(names, (n + 1) * sizeof(*names));
      names[n++] = xstrdup(de->d_name);
    }
  qsort(names, n, sizeof(*names), cmp);
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    char *path = xmprintf("%s/%s", prefix, names[i]);
    if (!fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW)) {
      if (S_ISCHR(st.st_mode) && !st.st_rdev) buf_printf(&d->out, "D %s\n", path);
      else buf_printf(&d->out, "%c %s\n", in_image(d, path) ? 'C' : 'A', path);
      if (S_ISDIR(st.st_mode)) {
        int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) walk(d, sub, path);
      }
    }
    free(path);
    free(names[i]);
  }
  free(names);
  closedir(dir);
}

void diff_main(void)
{
  struct store st;
  struct container c;
  struct diffctx d = {0};
  char id[65];

  if (store_open(&st, STORE_READ) < 0) error_exit("%s", applet.why);
  if (container_find(&st, applet.argv[0], id) < 0 || container_load(&st, id, &c) < 0)
    error_exit("%s", applet.why);
  struct json *layers = json_get(c.config, "Layers");
  for (struct json *l = layers ? layers->child : 0; l; l = l->next) {
    char *p = xmprintf("layers/%s/diff", l->str + 7);
    d.lowers = xrealloc(d.lowers, (d.n + 1) * sizeof(int));
    if ((d.lowers[d.n] = openat(st.fd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) d.n++;
    free(p);
  }
  char *upper = container_path(&st, id, "upper");
  int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) perror_exit("%s", upper);
  walk(&d, fd, "");
  fputs(buf_str(&d.out), stdout);
  free(upper);
  buf_free(&d.out);
  container_free(&c);
  store_close(&st);
}
