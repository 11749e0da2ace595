// proxy.c: the userland proxy behind published ports, so no iptables is
// needed. A child of the supervisor holding the host's listening sockets
// moves into the container's network namespace: every socket it opens
// from then on is the container's, and it reaches the container's port on
// its own loopback. TCP: a process per connection copying both ways. UDP:
// a flow per client address, forgotten after a minute of silence.
#include "ocibox.h"
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#define MAX_FLOWS 64
#define FLOW_IDLE 60

struct flow {
  struct sockaddr_storage peer;
  socklen_t len;
  int listener, fd;   // index into the bindings; socket to the container
  time_t last;
};

// A socket connected to the container's own port, on its loopback.
static int upstream(const struct port_binding *b)
{
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(b->ctr),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, (b->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
    close(fd);
    fd = -1;
  }
  return fd;
}

// Copy both ways until both sides are done; a half close is passed on.
static NORETURN void relay(int a, int b)
{
  struct pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  int peer[2] = {b, a};
  char buf[16384];

  while (p[0].fd >= 0 || p[1].fd >= 0) {
    if (poll(p, 2, -1) < 0) continue;
    for (int i = 0; i < 2; i++) {
      if (p[i].fd < 0 || !p[i].revents) continue;
      ssize_t n = read(p[i].fd, buf, sizeof(buf));
      if (n > 0 && writeall(peer[i], buf, n) == n) continue;
      if (n != 0) _exit(0);  // an error: drop the connection
      shutdown(peer[i], SHUT_WR);
      p[i].fd = -1;
    }
  }
  _exit(0);
}

NORETURN void proxy_run(int netns, struct port_binding *b, size_t n)
{
  struct flow flows[MAX_FLOWS];
  struct pollfd p[32 + MAX_FLOWS];
  size_t nflows = 0;
  static char dgram[65536];

  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGCHLD, SIG_IGN);  // connections reap themselves
  // The terminal's ^C is for the container, not for us.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  if (setns(netns, CLONE_NEWNET)) _exit(1);
  close(netns);
  if (n > 32) n = 32;
  for (;;) {
    time_t now = time(0);
    for (size_t i = 0; i < n; i++) p[i] = (struct pollfd){b[i].fd, POLLIN, 0};
    for (size_t i = 0; i < nflows;) {
      if (now - flows[i].last > FLOW_IDLE) {
        close(flows[i].fd);
        flows[i] = flows[--nflows];
        continue;
      }
      p[n + i] = (struct pollfd){flows[i].fd, POLLIN, 0};
      i++;
    }
    size_t polled = nflows;
    // (UDP flows expire: a timeout while there are any)
    if ((polled ? poll(p, n + polled, 10000) : idle_poll(p, n)) <= 0) continue;
    for (size_t i = 0; i < n; i++) {
      if (!p[i].revents) continue;
      if (!b[i].udp) {
        int c = accept4(b[i].fd, 0, 0, SOCK_CLOEXEC), u;
        if (c < 0) continue;
        if (!fork()) {
          for (size_t k = 0; k < n; k++) close(b[k].fd);
          if ((u = upstream(b + i)) < 0) _exit(0);
          relay(c, u);
        }
        close(c);
        continue;
      }
      struct flow f = {.len = sizeof(f.peer), .listener = i, .last = now};
      ssize_t len = recvfrom(b[i].fd, dgram, sizeof(dgram), 0, (struct sockaddr *)&f.peer, &f.len);
      if (len < 0) continue;
      size_t k = 0;
      while (k < nflows && (flows[k].listener != (int)i || flows[k].len != f.len ||
                            memcmp(&flows[k].peer, &f.peer, f.len)))
        k++;
      if (k == nflows) {
        if ((f.fd = upstream(b + i)) < 0) continue;
        if (nflows == MAX_FLOWS) close(flows[k = 0].fd);  // the table is full: drop one
        else nflows++;
        flows[k] = f;
      }
      flows[k].last = now;
      send(flows[k].fd, dgram, len, 0);
    }
    // (a flow may have been replaced meanwhile: never block on it)
    for (size_t i = 0; i < polled; i++) {
      if (!p[n + i].revents) continue;
      ssize_t len = recv(flows[i].fd, dgram, sizeof(dgram), MSG_DONTWAIT);
      if (len < 0) continue;
      flows[i].last = now;
      sendto(b[flows[i].listener].fd, dgram, len, 0, (struct sockaddr *)&flows[i].peer, flows[i].len);
    }
  }
}
