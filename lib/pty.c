// pty.c: the container's terminal (-t). The pty comes from the container's
// own devpts instance, so ttyname() inside names /dev/pts/0; its master is
// sent back to the supervisor over a socket (SCM_RIGHTS), which relays it
// to the caller's terminal in raw mode and passes window size changes on.
#include "ocibox.h"
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>

// Child side, after the new /dev is mounted: make the pty, send the master,
// make the slave our controlling terminal and stdio.
void pty_size(unsigned short *rows, unsigned short *cols)
{
  struct winsize ws = {0};

  ioctl(0, TIOCGWINSZ, &ws);
  *rows = ws.ws_row;
  *cols = ws.ws_col;
}

// One byte carrying fd (SCM_RIGHTS).
static int send_fd(int sock, int fd)
{
  char c = 0;
  struct iovec iov = {&c, 1};
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u = {0};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                     .msg_controllen = CMSG_SPACE(sizeof(int))};

  u.h.cmsg_level = SOL_SOCKET;
  u.h.cmsg_type = SCM_RIGHTS;
  u.h.cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(&u.h), &fd, sizeof(int));
  return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int pty_child(int sock, unsigned short rows, unsigned short cols)
{
  char slave[64];
  int master = open("dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), fd;

  if (master < 0 || unlockpt(master) || ptsname_r(master, slave, sizeof(slave)))
    return fail(errno, "pty: %s", strerror(errno));
  // ptsname gives /dev/pts/N; we are not pivoted yet: open it relative.
  if ((fd = open(slave + 1, O_RDWR | O_NOCTTY)) < 0) return fail(errno, "%s: %s", slave, strerror(errno));
  // The size before the command runs: the relay only follows changes.
  if (rows && cols) {
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    ioctl(fd, TIOCSWINSZ, &ws);
  }
  if (send_fd(sock, master)) return fail(errno, "send the pty: %s", strerror(errno));
  close(master);
  close(sock);
  return fd;
}

int pty_receive(int sock)
{
  char c;
  struct iovec iov = {&c, 1};
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                     .msg_controllen = sizeof(u.buf)};
  int fd;

  if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1 || !CMSG_FIRSTHDR(&m) ||
      CMSG_FIRSTHDR(&m)->cmsg_type != SCM_RIGHTS)
    return fail(EPROTO, "the container sent no terminal");
  memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
  return fd;
}

static volatile sig_atomic_t winch = 1;
static void on_winch(int sig) { winch = 1; }

static void copy_winsize(int master)
{
  struct winsize ws;
  if (!ioctl(0, TIOCGWINSZ, &ws)) ioctl(master, TIOCSWINSZ, &ws);
}

int detach_keys_parse(const char *s, char *keys, int max)
{
  int n = 0;
  const char *all = s;

  // "ctrl-p,ctrl-q" → the bytes 0x10 0x11; plain letters as themselves.
  while (*s && n < max) {
    if (!strncmp(s, "ctrl-", 5) && s[5]) {
      char c = s[5];
      if (c >= 'a' && c <= 'z') keys[n++] = c - 'a' + 1;
      else if (c == '@') keys[n++] = 0;
      else if (c >= '[' && c <= '_') keys[n++] = c - '[' + 27;
      else break;
      s += 6;
    } else if (s[1] == ',' || !s[1]) keys[n++] = *s++;
    else break;
    if (*s == ',') s++;
  }
  if (*s || !n) return fail(EINVAL, "Invalid detach keys (%s) provided", all);
  return n;
}

int pty_relay(int fd, int winsz, int with_stdin, const char *keys, int nkeys)
{
  struct termios saved, raw;
  int tty = isatty(0) && !tcgetattr(0, &saved), in_open = with_stdin, matched = 0, detached = 0;
  char buf[8192];
  ssize_t n;

  signal(SIGWINCH, on_winch);
  signal(SIGPIPE, SIG_IGN);  // a peer gone is the end, not our death
  winch = 1;
  if (tty) {
    raw = saved;
    cfmakeraw(&raw);
    tcsetattr(0, TCSANOW, &raw);
  }
  while (!detached) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {0, POLLIN, 0}};
    if (winch && winsz >= 0) winch = 0, copy_winsize(winsz);
    if (poll(p, in_open ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents) {
      if ((n = read(fd, buf, sizeof(buf))) <= 0) {
        if (n < 0 && errno == EINTR) continue;
        break;  // EIO from a master: every slave closed; 0 from a socket
      }
      if (writeall(1, buf, n) < 0) break;
    }
    if (in_open && p[1].revents) {
      n = read(0, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // End of input: what a terminal's ^D would say.
        in_open = 0;
        if (!tty) writeall(fd, "\x04", 1);
        continue;
      }
      // The detach sequence is swallowed; a partial one passes on later.
      // What lies between key bytes goes in one write.
      ssize_t from = 0;
      for (ssize_t i = 0; i < n && nkeys && !detached; i++) {
        if (buf[i] != keys[matched] && matched) writeall(fd, keys, matched), matched = 0;
        if (buf[i] != keys[matched]) continue;
        writeall(fd, buf + from, i - from);
        from = i + 1;
        detached = ++matched == nkeys;
      }
      if (!detached) writeall(fd, buf + from, n - from);
    }
  }
  if (tty) tcsetattr(0, TCSANOW, &saved);
  return detached;
}

// The abstract socket attach connects to: per container, no path length
// limit, gone with the supervisor.
static socklen_t attach_addr(const char *id, struct sockaddr_un *a)
{
  memset(a, 0, sizeof(*a));
  a->sun_family = AF_UNIX;
  int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "ocibox-attach-%.64s", id);
  return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

int pty_attach_connect(const char *id)
{
  struct sockaddr_un a;
  socklen_t len = attach_addr(id, &a);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0 || connect(fd, (struct sockaddr *)&a, len)) {
    if (fd >= 0) close(fd);
    return fail(errno, "cannot attach: %s", strerror(errno));
  }
  return fd;
}

// Detached with a terminal: its output to stdout (the log) and to every
// attached client, the clients' input to it, until the terminal ends.
void pty_serve(int master, const char *id, int wait_first)
{
  struct sockaddr_un a;
  socklen_t len = attach_addr(id, &a);
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), clients[8], n = 0;
  char buf[8192];

  signal(SIGPIPE, SIG_IGN);
  if (lfd >= 0 && (bind(lfd, (struct sockaddr *)&a, len) || listen(lfd, 8))) close(lfd), lfd = -1;
  // run -it's own client: nothing read from the terminal before it is
  // there (what the command writes waits in the pty), for 10 s at most.
  if (wait_first && lfd >= 0) poll(&(struct pollfd){lfd, POLLIN, 0}, 1, 10000);
  for (;;) {
    struct pollfd p[10] = {{master, POLLIN, 0}, {lfd, POLLIN, 0}};
    for (int i = 0; i < n; i++) p[2 + i] = (struct pollfd){clients[i], POLLIN, 0};
    if (idle_poll(p, 2 + n) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    // New clients first: what is read next goes to them too.
    if (lfd >= 0 && (p[1].revents & POLLIN)) {
      int c = accept4(lfd, 0, 0, SOCK_CLOEXEC);
      // The master goes first: the client sets the window size on it.
      if (c >= 0 && (n >= 8 || send_fd(c, master))) close(c);
      else if (c >= 0) clients[n++] = c;
    }
    if (p[0].revents) {
      ssize_t r = read(master, buf, sizeof(buf));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      writeall(1, buf, r);
      for (int i = 0; i < n; i++)
        if (writeall(clients[i], buf, r) < 0) close(clients[i]), clients[i--] = clients[--n];
    }
    for (int i = 0; i < n; i++) {
      if (!p[2 + i].revents || p[2 + i].fd != clients[i]) continue;
      ssize_t r = read(clients[i], buf, sizeof(buf));
      if (r > 0) writeall(master, buf, r);
      else if (r == 0 || errno != EINTR) close(clients[i]), clients[i--] = clients[--n];
    }
  }
  for (int i = 0; i < n; i++) close(clients[i]);
  if (lfd >= 0) close(lfd);
}
